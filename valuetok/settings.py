"""Settings for every profile, read from the environment through django-environ.

With no environment at all the product runs on embedded defaults: SQLite under ``var/``,
Celery tasks executed eagerly in-process, media under ``var/media``. ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch to PostgreSQL and Redis with real workers.

``VALUETOK_PROFILE=production`` refuses to start with ``DEBUG`` on or without
``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``IP_HASH_SECRET``.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PROFILE = env.str("VALUETOK_PROFILE", default="development")
if PROFILE not in {"development", "production"}:
    raise ImproperlyConfigured(f"VALUETOK_PROFILE must be 'development' or 'production', not {PROFILE!r}")
IS_PRODUCTION = PROFILE == "production"

VAR_DIR = Path(env.str("VALUETOK_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)

_DEV_SECRET = "insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="" if IS_PRODUCTION else _DEV_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Key of the HMAC that turns viewer IPs into stable pseudonyms; rotating it breaks joins with
# earlier events, so production must set it explicitly and keep it.
IP_HASH_SECRET = env.str("IP_HASH_SECRET", default="" if IS_PRODUCTION else "development-ip-hash-key")

# Known data-centre and VPN networks (cidr,provider,kind); empty means the bundled list.
HOSTING_NETWORKS_FILE = env.str("HOSTING_NETWORKS_FILE", default="")

# Memory for each sort and hash of an EIS pass on PostgreSQL (per transaction, not server-wide).
EIS_WORK_MEM = env.str("EIS_WORK_MEM", default="256MB")
# Run an EIS pass's independent steps on two PostgreSQL connections (work tables in a schema of the
# pass's own instead of temporary tables). Off: one connection, temporary tables.
EIS_SHARED_WORK_TABLES = env.bool("EIS_SHARED_WORK_TABLES", default=True)

if IS_PRODUCTION:
    _missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("IP_HASH_SECRET", IP_HASH_SECRET),
        )
        if not value
    ]
    if DEBUG:
        raise ImproperlyConfigured("The production profile refuses to start with DEBUG on.")
    if _missing:
        raise ImproperlyConfigured(f"The production profile needs {', '.join(_missing)} set.")
    if SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("The production profile refuses the development SECRET_KEY.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "phonenumber_field",
    "valuetok",
    "creators",
    "integrity",
    "payouts",
    "moderation",
    "compliance",
    "simulation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "valuetok.urls"
WSGI_APPLICATION = "valuetok.wsgi.application"
ASGI_APPLICATION = "valuetok.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Data -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'valuetok.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "creators.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))

# Public media (thumbnails and the like) is served under MEDIA_URL; uploaded videos and identity
# documents go to PRIVATE_MEDIA_ROOT, which no URL maps to: access-checked views serve them.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "valuetok.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o640
# A full event batch (10,000 events) is a few megabytes of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024)

PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DB_FORMAT = "E164"

# --- Security (production) ----------------------------------------------------------------------
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "ingest": env.str("API_THROTTLE_INGEST", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ValueTok API",
    "DESCRIPTION": "Creators, videos, engagement integrity, moderation, compliance and payouts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: our machines have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
_has_broker = not CELERY_BROKER_URL.startswith("memory://")
# Without a broker, tasks run in the calling process: the embedded defaults need no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not _has_broker)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "cache+memory://",
)
CELERY_RESULT_EXPIRES = 24 * 3600
# Late acknowledgement: a task whose worker dies is delivered again, so every task is idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this long; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# One queue per domain; `moderation` is the GPU workers' queue (Whisper and BERT).
CELERY_TASK_QUEUES = [
    Queue("default"),
    Queue("integrity"),
    Queue("payouts"),
    Queue("moderation"),
    Queue("compliance"),
]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = ("valuetok.celery.route_task_by_app",)

HEALTHZ_BROKER_TIMEOUT_SECONDS = env.float("HEALTHZ_BROKER_TIMEOUT_SECONDS", default=2.0)

# --- Compliance: sanctions and PEP screening ------------------------------------------------
# A name whose screening score reaches the line is a hit that compliance reviews. Calibrated on
# perturbed SDN names against ordinary names by benchmarks/screening.py (see its report); lower
# finds more typo'd names and flags more innocent people. PEP lists are scored the same way and
# there is no PEP data to calibrate on separately, so PEP_MATCH_LINE starts at the same value.
SANCTIONS_MATCH_LINE = env.float("SANCTIONS_MATCH_LINE", default=0.84)
PEP_MATCH_LINE = env.float("PEP_MATCH_LINE", default=0.84)

# --- Compliance: KYC and phone trust --------------------------------------------------------
# Nationalities, issuing countries and addresses that send a KYC submission to review (enhanced
# due diligence). Default: FATF "call for action" (black) list plus "increased monitoring" (grey)
# list as published after the June 2025 plenary (fatf-gafi.org, 13 June 2025). FATF revises both
# lists at every plenary (February, June, October): compliance must re-check this setting then.
KYC_HIGH_RISK_COUNTRIES = env.list(
    "KYC_HIGH_RISK_COUNTRIES",
    default=[
        # Call for action
        "KP", "IR", "MM",
        # Increased monitoring
        "DZ", "AO", "BO", "BG", "BF", "CM", "CI", "CD", "HT", "KE", "LA", "LB", "MC", "MZ", "NA", "NP",
        "NG", "ZA", "SS", "SY", "VE", "VN", "VG", "YE",
    ],
)  # fmt: skip
KYC_MIN_AGE_YEARS = env.int("KYC_MIN_AGE_YEARS", default=18)
# A document without an expiry date counts only when issued within this many years.
KYC_NO_EXPIRY_MAX_AGE_YEARS = env.int("KYC_NO_EXPIRY_MAX_AGE_YEARS", default=10)
KYC_MAX_UPLOAD_BYTES = env.int("KYC_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
KYC_MAX_DOCUMENTS = env.int("KYC_MAX_DOCUMENTS", default=4)
# Optional AbstractAPI phone validation; with no key the local phone-trust score stands alone.
ABSTRACTAPI_PHONE_KEY = env.str("ABSTRACTAPI_PHONE_KEY", default="")
ABSTRACTAPI_PHONE_URL = env.str("ABSTRACTAPI_PHONE_URL", default="https://phonevalidation.abstractapi.com/v1/")
ABSTRACTAPI_PHONE_TIMEOUT_SECONDS = env.float("ABSTRACTAPI_PHONE_TIMEOUT_SECONDS", default=3.0)
ABSTRACTAPI_PHONE_ATTEMPTS = env.int("ABSTRACTAPI_PHONE_ATTEMPTS", default=3)
ABSTRACTAPI_PHONE_BACKOFF_SECONDS = env.float("ABSTRACTAPI_PHONE_BACKOFF_SECONDS", default=0.5)
# Token bucket shared by every process through the cache: the free plan allows 1 request a second.
ABSTRACTAPI_PHONE_RATE_PER_SECOND = env.float("ABSTRACTAPI_PHONE_RATE_PER_SECOND", default=1.0)
ABSTRACTAPI_PHONE_BURST = env.int("ABSTRACTAPI_PHONE_BURST", default=1)
ABSTRACTAPI_PHONE_CACHE_SECONDS = env.int("ABSTRACTAPI_PHONE_CACHE_SECONDS", default=7 * 24 * 3600)

# --- Compliance: AML on gifts ----------------------------------------------------------------
# Addresses of our own load balancers. Only when a request arrives from one of them is the client
# address taken from X-Forwarded-For (its last entry, the one that proxy added); otherwise the
# peer address stands, since anyone can write that header.
AML_TRUSTED_PROXIES = env.list("AML_TRUSTED_PROXIES", default=[])
# A request header (as in request.META) in which the edge puts the client's country, e.g.
# HTTP_CF_IPCOUNTRY behind Cloudflare; empty: the country-switch rule has no country to compare.
AML_COUNTRY_HEADER = env.str("AML_COUNTRY_HEADER", default="")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "keyvalue": {"format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "keyvalue"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Make sure the embedded-default folders exist so a fresh checkout runs.
if not IS_PRODUCTION:
    for _folder in (VAR_DIR, MEDIA_ROOT, PRIVATE_MEDIA_ROOT):
        _folder.mkdir(parents=True, exist_ok=True)
