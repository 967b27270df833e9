"""smsportal settings: one file, everything from the environment (django-environ).

With nothing configured the project runs embedded: SQLite under var/ and a Celery transport
on the file system, so `make run` needs no server. Production sets DATABASE_URL and
CELERY_BROKER_URL (see .env.example).
"""

from pathlib import Path

import environ

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# First: SMSPORTAL_VAR_DIR set in .env was read before it and had no effect.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _path(name: str, default: Path) -> Path:
    """A directory from the environment; empty means the default, not the current
    directory (as an empty DATABASE_URL means the embedded database)."""
    return Path(env.str(name, default="") or default)


# SQLite file, embedded broker folders and collected static files live here.
VAR_DIR = _path("SMSPORTAL_VAR_DIR", BASE_DIR / "var")
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The development key is public (it is in this file): smsportal.wsgi refuses to serve
# with it when DEBUG is off, as credentials at rest are encrypted with a key derived
# from it (SMSPORTAL_FIELD_KEY unset) and sessions signed with it.
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-change-me-in-production-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Earlier SECRET_KEYs, comma-separated, while they are rotated out: signed cookies
# and sessions made with them still verify (Django signs with SECRET_KEY alone), and
# with SMSPORTAL_FIELD_KEY unset, credentials saved under them still decrypt.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Says when forms cannot pass at all (HTTPS-only cookies over HTTP).
CSRF_FAILURE_VIEW = "smsportal.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own widget templates for the project's form renderer (below).
    "django.forms",
    "django_tables2",
    "django_filters",
    "ninja",
    "accounts",
    "providers",
    "contacts",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "smsportal.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, locale, auth and messages middleware, skipped for gateway
    # callbacks (see smsportal/middleware.py). CSRF stays Django's own (the deploy
    # check looks for it); callback views are exempt from it anyway.
    "smsportal.middleware.SessionMiddleware",
    "smsportal.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "smsportal.middleware.AuthenticationMiddleware",
    "smsportal.middleware.LoginRequiredMiddleware",
    "accounts.audit.AuditMiddleware",
    "smsportal.middleware.MessageMiddleware",
    "smsportal.middleware.MethodNotAllowedPageMiddleware",
    "smsportal.middleware.OutagePageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "smsportal.urls"
WSGI_APPLICATION = "smsportal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "smsportal.context_processors.navigation",
                "smsportal.context_processors.outage",
                "smsportal.context_processors.background",
                "providers.context_processors.low_balances",
            ],
            "libraries": {"page_tags": "smsportal.page_tags"},
        },
    },
]

# Widgets render through the project's templates, so templates/_widgets/ can give a
# list of checkboxes Bootstrap's markup (smsportal/form_style.py).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

EMBEDDED_DATABASE_URL = f"sqlite:///{VAR_DIR / 'smsportal.sqlite3'}"
# An empty DATABASE_URL (a blank line in .env) means the default, not "no engine".
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", "") or EMBEDDED_DATABASE_URL)
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web, worker and beat share the file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Django's backend with a LIKE that ignores case beyond ASCII (searches).
    DATABASES["default"]["ENGINE"] = "smsportal.sqlite3"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Redis without timeouts waits for ever on a server that stopped answering (a host
# gone, packets dropped): every page and sign-in hung with it. A refused connection
# fails at once either way; these bound the silent case (smsportal.outage).
REDIS_CONNECT_TIMEOUT = env.float("SMSPORTAL_REDIS_CONNECT_TIMEOUT", default=1.0)
REDIS_TIMEOUT = env.float("SMSPORTAL_REDIS_TIMEOUT", default=5.0)
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Language follows the browser (LocaleMiddleware) and falls back to Russian.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [_path("SMSPORTAL_LOCALE_DIR", BASE_DIR / "locale")]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
# Where Django's formats for a language differ from what the pages need.
FORMAT_MODULE_PATH = ["smsportal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = _path("MEDIA_ROOT", VAR_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A file past the import limit stops being stored as it arrives (smsportal.uploads).
FILE_UPLOAD_HANDLERS = [
    "smsportal.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Security: strict by default when DEBUG is off; behind a TLS proxy set SECURE_PROXY_SSL_HEADER.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Reverse proxies in front that append the client's address to X-Forwarded-For
# (nginx: proxy_add_x_forwarded_for): the login throttle and the audit log take the
# client's address from there instead of the proxy's, which every visitor shares.
SMSPORTAL_TRUSTED_PROXIES = env.int("SMSPORTAL_TRUSTED_PROXIES", default=0)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery: filesystem transport when no broker is configured (embedded mode).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A task whose worker died is handed to another worker after this many seconds (Redis).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
# Publishing to a broker that is down: two quick retries, then the error (a launch
# says the task queue is unavailable instead of hanging the request).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# smsportal's own settings.
# By default where `make run` serves them (scripts/run_all.py reads the same ports), so
# a second instance on other ports sends its demo traffic to its own simulator.
SMSPORTAL_SIMULATOR_URL = env.str(
    "SMSPORTAL_SIMULATOR_URL",
    default=f"http://127.0.0.1:{env.int('SMSPORTAL_SIMULATOR_PORT', default=8025)}",
)
SMSPORTAL_CALLBACK_BASE_URL = env.str(
    "SMSPORTAL_CALLBACK_BASE_URL",
    default=f"http://127.0.0.1:{env.int('SMSPORTAL_PORT', default=8000)}",
)
SMSPORTAL_DEFAULT_REGION = env.str("SMSPORTAL_DEFAULT_REGION", default="RU")
# Largest contact or stop-list file accepted for import.
SMSPORTAL_IMPORT_MAX_BYTES = env.int(
    "SMSPORTAL_IMPORT_MAX_BYTES", default=256 * 1024 * 1024
)
# Days an import's files are kept after it finished (contacts.job_files): its rejected
# rows, and the upload of a failed one (to run it again). A finished import's upload
# goes at once: it holds personal data, and the rejected rows are what is needed.
SMSPORTAL_IMPORT_FILES_DAYS = env.int("SMSPORTAL_IMPORT_FILES_DAYS", default=30)
# A bulk action of the contact list over more contacts than this runs in a worker
# (contacts.bulk_jobs): a million took 5-30 s in the request, past a proxy's patience.
SMSPORTAL_BULK_IN_REQUEST_MAX = env.int("SMSPORTAL_BULK_IN_REQUEST_MAX", default=10_000)
# A worker whose heartbeat (written every 10 s) is older than this is taken for dead:
# pages warn while work waits, /healthz says so, and its pumps' slots are taken over.
SMSPORTAL_WORKER_STALE_SECONDS = env.int("SMSPORTAL_WORKER_STALE_SECONDS", default=60)
# Celery beat writes a heartbeat every 10 s (campaigns.beat); older than this, beat is
# taken for dead: /healthz answers 503 and the pages that warn of workers say so.
SMSPORTAL_BEAT_STALE_SECONDS = env.int("SMSPORTAL_BEAT_STALE_SECONDS", default=60)
# A contacts job still queued this long after it was sent to the workers is sent
# again (smsportal.job_sweep): the broker was down when it was queued, or lost it.
SMSPORTAL_JOB_REQUEUE_SECONDS = env.int("SMSPORTAL_JOB_REQUEUE_SECONDS", default=300)
# Extra opt-out words besides campaigns.inbox.DEFAULT_OPT_OUT_WORDS (comma-separated).
SMSPORTAL_OPT_OUT_WORDS = env.list("SMSPORTAL_OPT_OUT_WORDS", default=[])
# Key for credentials at rest; derived from SECRET_KEY when not given.
SMSPORTAL_FIELD_KEY = env.str("SMSPORTAL_FIELD_KEY", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Times with their UTC offset (smsportal.logs): gunicorn's master logs in the
        # machine's zone, Django and Celery in TIME_ZONE.
        "plain": {
            "()": "smsportal.logs.OffsetFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "filters": {
        "callback_tokens": {"()": "smsportal.logs.CallbackTokenFilter"},
        "permission_denied": {"()": "smsportal.logs.PermissionDeniedFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Both log request paths, and a callback's path holds its account's token.
        "django.request": {"filters": ["callback_tokens", "permission_denied"]},
        "django.server": {
            "handlers": ["console"],
            "filters": ["callback_tokens"],
            "level": "INFO",
            "propagate": False,
        },
        "django.db.backends": {"level": "WARNING"},
        # httpx logs request URLs at INFO; some gateways put credentials in the query.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/smsportal.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}
