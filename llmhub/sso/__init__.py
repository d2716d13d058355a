"""Company sign-in through OpenID Connect (Keycloak or any standard provider); docs/SSO.md.

Built on mozilla-django-oidc (authorization code flow with PKCE, state and nonce): this package
adds discovery, the identity mapping (username, e-mail, name, groups and roles), clear pages for
every refusal, the provider's logout and its JWT access tokens for the API.
"""
