"""Company sign-in through OpenID Connect (mozilla-django-oidc; see docs/SSO.md).

Off unless `OIDC_ISSUER` is set: then local passwords keep working beside it. base.py adds
SSO_AUTHENTICATION_BACKENDS to AUTHENTICATION_BACKENDS.
"""

from llmhub.settings.env import env_bool, env_int, env_list, env_str

# The issuer URL; its /.well-known/openid-configuration names every endpoint (Keycloak:
# https://sso.example.com/realms/<realm>).
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
SSO_ENABLED = bool(OIDC_ISSUER)

OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGORITHM", "RS256")
# Authorization code flow with PKCE (S256), state and nonce, all checked on the way back.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
# The ID token is kept in the (server-side) session as the logout's id_token_hint; tokens are
# never logged. The access token is not kept: nothing here calls APIs on the user's behalf.
OIDC_STORE_ID_TOKEN = True
OIDC_STORE_ACCESS_TOKEN = False
# Seconds a provider request (discovery, keys, token, userinfo) may take.
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 5)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
# Seconds of clock difference tolerated when checking a token's exp/iat/nbf.
OIDC_CLOCK_SKEW_SECONDS = env_int("OIDC_CLOCK_SKEW_SECONDS", 60)
# How long a process keeps the provider's metadata and keys before fetching them again.
OIDC_DISCOVERY_CACHE_SECONDS = env_int("OIDC_DISCOVERY_CACHE_SECONDS", 3600)

# Identity mapping. Claims may be dotted paths into the token (Keycloak's realm roles:
# realm_access.roles).
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# Roles decide staff, superuser and hub access; by default they are the groups.
OIDC_ROLES_CLAIM = env_str("OIDC_ROLES_CLAIM") or OIDC_GROUPS_CLAIM
OIDC_STAFF_ROLES = env_list("OIDC_STAFF_ROLES")
OIDC_SUPERUSER_ROLES = env_list("OIDC_SUPERUSER_ROLES")
# Members get the hub's permissions (the "hub users" group, llmhub/hub/permissions.py).
OIDC_HUB_ROLES = env_list("OIDC_HUB_ROLES")
# false: only users who already have an account here may sign in (others see a clear refusal).
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", True)

# API: the provider's access tokens (JWTs signed with its keys) are accepted as bearer tokens
# when their `aud` holds this value; empty: only the project's own API tokens.
OIDC_API_AUDIENCE = env_str("OIDC_API_AUDIENCE")
# A provider token whose `scope` holds this may write (with the user's permissions); else read.
OIDC_API_WRITE_SCOPE = env_str("OIDC_API_WRITE_SCOPE", "llmhub:write")

# Where a sign-in lands when the login page named no `next`.
OIDC_LOGIN_REDIRECT_URL = env_str("OIDC_LOGIN_REDIRECT_URL", "/admin/llm-management/")
# Where the provider sends the browser after its logout (register it as a valid post-logout
# redirect URI); relative paths are made absolute from the request.
OIDC_POST_LOGOUT_REDIRECT = env_str("OIDC_POST_LOGOUT_REDIRECT", "/admin/login/")

SSO_AUTHENTICATION_BACKENDS: list[str] = (
    ["llmhub.sso.backend.CompanyOIDCBackend"] if SSO_ENABLED else []
)
