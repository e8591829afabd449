"""Orchestrator settings, read from the environment through django-environ.

With no environment at all the development defaults apply: DEBUG on, SQLite in
the project directory, a SECRET_KEY and an encryption key derived for local use.
With DEBUG off the production secrets have no default and a missing one stops
the start.
"""

from datetime import timedelta
from pathlib import Path

import environ
import orjson
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)


def _production_secret(name: str, *, development_default):
    """A secret that must come from the environment once DEBUG is off."""
    value = env(name, default=None)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set in the environment when DEBUG is off.")
    return development_default


SECRET_KEY = _production_secret(
    "SECRET_KEY", development_default="django-insecure-orchestrator-local-development-only"
)
# Fernet keys, comma-separated: the first encrypts, every one decrypts.
# Development without keys derives one from SECRET_KEY (see core.crypto).
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _production_secret("FIELD_ENCRYPTION_KEYS", development_default="").split(",")
    if key.strip()
]
for _position, _key in enumerate(FIELD_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS: key {_position} is not a Fernet key (32 url-safe base64-encoded "
            "bytes); make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Browser origins besides this server's own that may call /mcp/ (an Origin not listed is a 403).
MCP_ALLOWED_ORIGINS = env.list("MCP_ALLOWED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "orchestrator.views.csrf_failure"

INSTALLED_APPS = [
    "core.admin_apps.AdminConfig",  # django.contrib.admin, with its site in core.admin
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    # The layers, lowest first: each app imports only from the apps above it in this list
    # (README, "Layout"; orchestrator/tests/test_layers.py holds it).
    "core",
    "jobs",
    "aimodels",
    "projects",
    "kanban",
    "chat",
    "activity",
    "webhooks",
    "mcp_server",
    "provenance",
    "orchestrator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.APIRequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:  # in DEBUG, runserver serves static files itself
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "orchestrator.urls"
WSGI_APPLICATION = "orchestrator.wsgi.application"
ASGI_APPLICATION = "orchestrator.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, SQLite in the project directory by default.
# Query parameters such as ?sslmode=require become connection OPTIONS.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Threaded runserver: take the write lock when a transaction starts and wait for it,
    # rather than failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASE_POOL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=True
)
# With the pool a health check would cost a round trip on every checkout; without it, a
# persistent connection is checked before it is reused.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=not DATABASE_POOL)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASE_POOL:
    # psycopg 3's pool keeps connections per process; Django requires
    # CONN_MAX_AGE=0 with it because the pool owns connection lifetime.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# WhiteNoise serves static files from the web process; in production (after collectstatic)
# compressed and with hashed names, cached forever.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# HTTPS in production: each on by default when DEBUG is off, each can be turned off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a proxy that terminates TLS: the header it sets and the value meaning https,
# e.g. "HTTP_X_FORWARDED_PROTO,https". Only set it when the proxy always sets the header.
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None

# Jobs. With CELERY_BROKER_URL (redis://... or amqp://...) AI actions are queued for
# `celery -A orchestrator worker`; without it they run inline in the web process, once the
# request's transaction has committed. Delivery is at least once: a message is acknowledged
# when its job has ended, and a worker lost mid-job leaves it to be delivered again.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
JOBS_INLINE = not CELERY_BROKER_URL
# The Celery application jobs are sent through (loaded only when a job is queued).
JOBS_CELERY_APP = "orchestrator.celery.app"
# A job still queued this many seconds after it was sent is sent again (a broker outage, a
# message lost); the workers' beat looks every JOBS_DISPATCH_INTERVAL seconds.
JOBS_REDISPATCH_AFTER = env.float("JOBS_REDISPATCH_AFTER", default=60)
JOBS_DISPATCH_INTERVAL = env.float("JOBS_DISPATCH_INTERVAL", default=15)
CELERY_BEAT_SCHEDULE = {
    "jobs-dispatch-queued": {"task": "jobs.dispatch_queued", "schedule": JOBS_DISPATCH_INTERVAL},
    "webhooks-deliver-due": {
        "task": "webhooks.deliver_due",
        "schedule": JOBS_DISPATCH_INTERVAL,
        "options": {"queue": "webhooks"},
    },
    "prune": {"task": "orchestrator.prune", "schedule": 24 * 60 * 60},
}
# Two queues: AI work, and webhook deliveries (so a slow receiver never holds up AI work).
# A worker serves both unless told otherwise (`-Q webhooks` for a worker of its own).
CELERY_TASK_DEFAULT_QUEUE = "jobs"
CELERY_TASK_QUEUES = {"jobs": {}, "webhooks": {}}
# Publishing to a broker that is down fails fast: the job waits in its row (see above).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("JOB_TIME_LIMIT", default=900)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("JOB_SOFT_TIME_LIMIT", default=CELERY_TASK_TIME_LIMIT - 30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Redis hands an unacknowledged message to another worker after this many seconds: it must
# be longer than any job runs, or a job still running would be started a second time. Each
# worker looks for such messages every CELERY_RESTORE_INTERVAL seconds. (RabbitMQ redelivers
# as soon as the lost worker's connection drops.)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # The MCP SDK logs each stateless request's start and end at INFO; the OAuth libraries'
    # DEBUG lines carry authorization codes.
    "loggers": {
        "mcp": {"level": "WARNING"},
        "oauthlib": {"level": "INFO"},
        "oauth2_provider": {"level": "INFO"},
    },
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns anonymous API calls into 401s.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON through orjson: the same output as DRF's renderer (serializers format the values),
    # a fraction of the CPU, and UUIDs and UTC datetimes ("...Z") written natively. Keys that
    # are not strings (the positions in a list's errors) are written as strings, as json does.
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_UTC_Z, orjson.OPT_NON_STR_KEYS),
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "core.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "login_username": env("THROTTLE_LOGIN_USERNAME", default="5/min"),
        "ai": env("THROTTLE_AI", default="30/min"),
        "oauth_registration": env("THROTTLE_OAUTH_REGISTRATION", default="10/hour"),
    },
    # Proxies in front of the server, for the client address throttles count by.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# API tokens (knox): stored hashed; a fixed lifetime from creation, not extended by use.
REST_KNOX = {"TOKEN_TTL": timedelta(days=env.int("TOKEN_TTL_DAYS", default=30)), "AUTO_REFRESH": False}

# The cache the throttles count in: Redis from REDIS_URL, any Django cache from CACHE_URL,
# else this process's memory (fine for one process; use Redis when running several).
if env("REDIS_URL", default=""):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
    }
elif env("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Orchestrator API",
    "DESCRIPTION": (
        "Requirement interviews, versioned prompts, a Kanban board, AI chat sessions with audited "
        "tool calls, and Conventional Commits. Errors: 400 answers `{field: [messages]}` "
        "(`non_field_errors` for the whole body); every other error answers `{detail: message}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags and operation ids name the resource (tasks, prompts...), not the version prefix.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and ReDoc from this server (drf-spectacular-sidecar): the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are documented as JSON; the browsable API's forms are a convenience, not the contract.
    "PARSER_WHITELIST": ["core.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.link_created_objects",
        "core.schema.blank_strings_any_of",
        "core.schema.event_streams_are_text",
        "core.schema.nullable_objects_inline",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "kanban.models.TaskStatus",
        "InterviewStatusEnum": "projects.models.InterviewStatus",
        "ChatSessionStatusEnum": "chat.models.ChatSessionStatus",
        "ToolCallStatusEnum": "chat.models.ToolCallStatus",
        "JobStatusEnum": "jobs.models.JobStatus",
        "ApprovalPolicyEnum": "projects.models.ApprovalPolicy",
    },
}

# Request bodies: a larger one answers 413; JSON nesting deeper than this answers 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
MAX_JSON_DEPTH = env.int("MAX_JSON_DEPTH", default=32)

# Prompt composition: the most references one render expands, and the longest text it yields.
PROMPT_MAX_COMPONENT_REFERENCES = env.int("PROMPT_MAX_COMPONENT_REFERENCES", default=100)
PROMPT_MAX_RENDERED_CHARS = env.int("PROMPT_MAX_RENDERED_CHARS", default=200_000)

# Addresses the server may call on a user's behalf (see core.outbound).
OUTBOUND_ALLOW_LOOPBACK = env.bool("OUTBOUND_ALLOW_LOOPBACK", default=DEBUG)
OUTBOUND_ALLOW_PRIVATE = env.bool("OUTBOUND_ALLOW_PRIVATE", default=False)

# The sign-in page (the browsable API's), for the API and for OAuth consent at /o/authorize/.
LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/v1/"

# OAuth 2.1 for MCP clients (django-oauth-toolkit; the rules are in mcp_server/oauth_server.py,
# the scopes in mcp_server/server.py): authorization code with PKCE S256, consent through the
# Django login, clients registered by themselves (RFC 7591, /o/register/), every token bound to
# /mcp/ (RFC 8707) and stored hashed; refresh tokens rotate, and a replayed one revokes its
# family.
OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "mcp_server.oauth_server.Server",
    "OAUTH2_BACKEND_CLASS": "mcp_server.oauth_server.OAuthLibCore",
    "SCOPES_BACKEND_CLASS": "mcp_server.oauth_server.Scopes",
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_SECONDS", default=60 * 60),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_REFRESH_TOKEN_DAYS", default=30) * 24 * 60 * 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # http for native clients' loopback redirects (RFC 8252): registration allows no other.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
# DOT's warning that http redirect URIs are allowed: they are, for loopback ones only (above).
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

# How long records that grow with use are kept, in days (empty: forever); see
# orchestrator/retention.py and `manage.py prune`.


def retention_days(name: str, default: int | None) -> int | None:
    """`name` from the environment: a number of days, empty for forever, unset for `default`."""
    value = env.str(name, default=None if default is None else str(default))
    return int(value) if value not in (None, "") else None


RETAIN_JOB_EVENTS_DAYS = retention_days("RETAIN_JOB_EVENTS_DAYS", 30)
RETAIN_MODEL_CALL_PAYLOADS_DAYS = retention_days("RETAIN_MODEL_CALL_PAYLOADS_DAYS", 90)
RETAIN_WEBHOOK_DELIVERIES_DAYS = retention_days("RETAIN_WEBHOOK_DELIVERIES_DAYS", 30)
RETAIN_ACTIVITY_DAYS = retention_days("RETAIN_ACTIVITY_DAYS", None)

# How long one event stream connection lasts before the client reconnects (Last-Event-ID).
STREAM_MAX_SECONDS = env.int("STREAM_MAX_SECONDS", default=300)

# Webhook deliveries: tries per delivery, and the first wait between tries (doubling).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=5)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=1.0)
# One attempt's time; inline (no broker), a write's deliveries share it in all.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=3.0)
