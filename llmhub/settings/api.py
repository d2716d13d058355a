"""Settings of the REST API, OFREP and API security (imported by base.py, which adds
API_APPS to INSTALLED_APPS and API_MIDDLEWARE at the end of MIDDLEWARE).

Every DRF default lives here and points at the API platform (llmhub/api/), so every app's API
views (flags, OFREP, the hub, telemetry ingestion) inherit the same authentication,
default-deny permission, throttling, parsing and error shape.
"""

from llmhub.settings.env import env_bool, env_int, env_list, env_str

API_APPS: list[str] = [
    "llmhub.api.tokens",  # API tokens: the model, its admin and `manage.py tokens`
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
]
# Counts password logins (the admin login form) per client address; under DEBUG, keeps the JSON
# 404 for API paths. See llmhub.api.middleware.
API_MIDDLEWARE: list[str] = [
    "llmhub.api.middleware.LoginThrottleMiddleware",
    "llmhub.api.middleware.DebugJsonNotFoundMiddleware",
]


def _rate(name: str, default: str) -> str:
    return env_str(f"API_RATE_{name.upper().replace('.', '_')}", default)


REST_FRAMEWORK = {
    # Token first: its `authenticate_header` makes unauthenticated requests 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The identity provider's JWT access tokens, when OIDC_API_AUDIENCE is set (else it
        # steps aside); project tokens (lhk_...) go on to the next class.
        "llmhub.sso.api_auth.ProviderTokenAuthentication",
        "llmhub.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Counts each request per client address, per user and per API token.
    "DEFAULT_THROTTLE_CLASSES": ["llmhub.api.throttling.ApiRateThrottle"],
    # "<scope>.<read|write>": requests per period. `login` counts credential checks against the
    # database (API tokens this process has not seen valid yet) per client address.
    "DEFAULT_THROTTLE_RATES": {
        "token.read": _rate("token.read", "6000/min"),
        "token.write": _rate("token.write", "120/min"),
        "user.read": _rate("user.read", "6000/min"),
        "user.write": _rate("user.write", "120/min"),
        "address.read": _rate("address.read", "12000/min"),
        "address.write": _rate("address.write", "300/min"),
        "login": _rate("login", "30/min"),
    },
    # Trusted reverse proxies in front of the app: the client address is the entry this many
    # hops from the right of X-Forwarded-For; 0 means REMOTE_ADDR (a forged header is ignored).
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
    "DEFAULT_PARSER_CLASSES": ["llmhub.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "llmhub.api.handlers.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Request bodies larger than this are refused with 413 before parsing.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 256 * 1024)
# JSON nested deeper than this is refused with 400.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)
# How long a process trusts a token lookup (revocation and permission changes take effect
# within this many seconds; at most 60).
API_TOKEN_CACHE_SECONDS = min(env_int("API_TOKEN_CACHE_SECONDS", 30), 60)

SPECTACULAR_SETTINGS = {
    "TITLE": "LLM Hub API",
    "DESCRIPTION": "Feature flags (REST and OpenFeature OFREP) and the LLM hub.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Default deny covers the schema and the docs too.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI and Redoc from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "llmhub.api.schema.add_error_responses",
    ],
}

# CORS (django-cors-headers; its middleware sits high in MIDDLEWARE, llmhub/settings/base.py):
# browser front ends on another origin may call the flag API and OFREP, nothing else, and only
# from the origins listed ("https://app.example.com,https://admin.example.com"). None by default.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api/v1/features|ofrep/v1)(/.*)?$"
# Cookies (the session) cross origins only when asked for: token clients need none, and a
# credentialed cross-origin session is a CSRF surface.
CORS_ALLOW_CREDENTIALS = env_bool("CORS_ALLOW_CREDENTIALS", False)
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "x-csrftoken",
    "x-requested-with",
)
# ETag answers If-Match/If-None-Match; Retry-After says when a throttled client may come back.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = env_int("CORS_PREFLIGHT_MAX_AGE", 3600)

# A bare JsonResponse view at /bench/bare for bench/api_bench.py; never in production.
LLMHUB_BENCH_VIEWS = env_bool("LLMHUB_BENCH_VIEWS", False)
