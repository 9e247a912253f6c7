"""Chronicle settings: the one module that reads the environment.

With no environment at all Chronicle runs on an embedded default: a SQLite file
beside the project and django-q2's ORM broker. ``DATABASE_URL=postgres://...``
switches to PostgreSQL (psycopg 3); ``REDIS_URL`` moves django-q2 to Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# Only the embedded development default may fall back to a throwaway key.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "chronicle-insecure-development-key-not-for-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
# Keys that must never live in the database (README, "Compliance"): the
# key-encryption key wraps every customer's data key; the integrity key signs the
# log's chain hashes and seals, and keys the hashes that stand in for personal data
# (the email claim). Each is 32 bytes, base64-encoded. Development keys while DEBUG is
# on; `manage.py check --deploy` refuses production without them.
_DEVELOPMENT_KEY_ENCRYPTION_KEY = "Y2hyb25pY2xlLWRldmVsb3BtZW50LWtlay0wMDAwMDA="
_DEVELOPMENT_INTEGRITY_KEY = "Y2hyb25pY2xlLWRldmVsb3BtZW50LWludGVncml0eTA="
KEY_ENCRYPTION_KEY = os.environ.get("CHRONICLE_KEY_ENCRYPTION_KEY") or (
    _DEVELOPMENT_KEY_ENCRYPTION_KEY if DEBUG else ""
)
INTEGRITY_KEY = os.environ.get("CHRONICLE_INTEGRITY_KEY") or (
    _DEVELOPMENT_INTEGRITY_KEY if DEBUG else ""
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "config.admin_site.ChronicleAdminConfig",  # django.contrib.admin, Chronicle first
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_prometheus",
    "eventstore",
    "orders",
    "projections",
    "webhooks",
]

# The HTTP benchmark's baseline endpoint (bench/baseline); never installed otherwise.
CHRONICLE_BENCH = env_bool("CHRONICLE_BENCH", False)
if CHRONICLE_BENCH:
    INSTALLED_APPS.append("bench.baseline")

MIDDLEWARE = [
    # Django's request metrics for /metrics (django-prometheus), around everything else.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # First: an over-long request line or header is a 414/431 problem before anything reads it.
    "config.request_limits.RequestLimitsMiddleware",
    # Every endpoint alike: a malformed X-Correlation-ID is a 400 before any view runs.
    "config.correlation.CorrelationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.OptionalTrailingSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "chronicle.sqlite3"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN
    # so a web process and a worker queue for it instead of failing "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            # secure_delete: a destroyed data key (README, "Compliance") is zeroed,
            # not left in free pages.
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_PATH") or None}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
if os.environ.get("CHRONICLE_ARCHIVE_DATABASE_URL"):
    # The same database as the archiver's role (README, production notes, "Archival").
    DATABASES["archive"] = {
        **dj_database_url.parse(os.environ["CHRONICLE_ARCHIVE_DATABASE_URL"]),
        "TEST": {"MIRROR": "default"},
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
STATIC_ROOT = BASE_DIR / "staticfiles"
# "seals": where each seal's hash is written outside the database (README,
# "Compliance"). A directory by default; in production a place the database's
# administrators cannot write (an S3-compatible bucket with object lock through
# django-storages, or another host's disk).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "seals": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("CHRONICLE_SEAL_RECORDS_DIR") or BASE_DIR / "var" / "seals"
        },
    },
    # Archive segments of closed streams (README, "Archival").
    "archive": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("CHRONICLE_ARCHIVE_DIR") or BASE_DIR / "var" / "archive"
        },
    },
}
# Which of STORAGES holds archive segments, and which database alias archival
# deletes through: on PostgreSQL a role of its own, the only one granted DELETE on the
# event table (CHRONICLE_ARCHIVE_DATABASE_URL; README, production notes).
ARCHIVE_STORAGE = "archive"
# Events per archive segment at most: a first read of an archived stream decodes its
# whole segment (a stream longer than this has one of its own).
ARCHIVE_SEGMENT_EVENTS = int(os.environ.get("CHRONICLE_ARCHIVE_SEGMENT_EVENTS", "20000"))
ARCHIVE_DATABASE = "archive" if os.environ.get("CHRONICLE_ARCHIVE_DATABASE_URL") else "default"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the site's own: its icon

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "not authenticated" into a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["problems.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "problems.handler.problem_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Chronicle API",
    "DESCRIPTION": "Commands change orders through events; queries read projections.",
    "VERSION": "2.3.0",  # CHANGELOG.md
    # Every problem document's `type` is a page of problems.catalogue; this links them.
    "EXTERNAL_DOCS": {
        "description": "Problem types: what each error code means and what to do",
        "url": "/problems/",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Enumerations named for what they are where field names collide ("status").
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "projections.api.enums.ORDER_STATUSES",
        "PaymentStatusEnum": "projections.api.enums.PAYMENT_STATUSES",
        "HealthStatusEnum": "projections.api.enums.HEALTH_STATUSES",
        "ProjectionStateEnum": "projections.api.enums.PROJECTION_STATES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "problems.schema.add_response_headers",
    ],
}

# Logins and API tokens (accounts/): django-axes locks a username or a client address
# out after AUTH_FAILURE_LIMIT failed logins within AUTH_LOCKOUT_MINUTES, counting in
# the database; django-rest-knox gives each login its own token, refused after
# AUTH_TOKEN_TTL_HOURS. TRUSTED_PROXIES: how many reverse proxies in front append to
# X-Forwarded-For (0: the client address is REMOTE_ADDR, the header is ignored).
INSTALLED_APPS += ["axes", "knox", "accounts"]
MIDDLEWARE += [
    "axes.middleware.AxesMiddleware",  # last of Chronicle's, as axes asks
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Who may scrape /metrics besides staff: a Prometheus server sending this token
# (config/metrics.py). Unset: staff only.
METRICS_TOKEN = os.environ.get("CHRONICLE_METRICS_TOKEN", "")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=float(os.environ.get("AUTH_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
}
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
AXES_FAILURE_LIMIT = int(os.environ.get("AUTH_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AUTH_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A lockout ends a fixed time after the failures that caused it (so Retry-After holds),
# and a success does not wipe an address's count (an attacker's own account could).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
# Failures are what the lockout needs; a log row of every success would also give each
# API login a session.
AXES_DISABLE_ACCESS_LOG = True
# Its start-up banner would print on every manage.py command and worker start.
AXES_VERBOSE = False

# Chronicle's own knobs.
SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "EUR")
# Called after every transaction that appended events commits.
EVENTSTORE_AFTER_COMMIT = [
    "orders.processes.dispatch.wake",
    "projections.engine.dispatch.wake",
    "webhooks.dispatch.wake",
]
# On a background thread of each process, coalesced, so a command's request runs none
# of their statements (eventstore/after_commit.py); at once in django-q2's sync mode.
EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND = env_bool(
    "EVENTSTORE_AFTER_COMMIT_IN_BACKGROUND", not env_bool("Q_SYNC", False)
)
# Seconds between the starts of two runs of that thread: the commits of a burst wake
# the readers once (at most this much later).
EVENTSTORE_AFTER_COMMIT_INTERVAL = float(os.environ.get("EVENTSTORE_AFTER_COMMIT_INTERVAL", "0.05"))
# PostgreSQL: the store's fixed statements kept prepared on connections that live on
# (eventstore/recorders/postgresql.py); off for a pooler that cannot carry them.
EVENTSTORE_PREPARED_STATEMENTS = env_bool("EVENTSTORE_PREPARED_STATEMENTS", True)
# What `manage.py catch_up` (projections) runs for the process managers, first.
CATCH_UP_PROCESSES = "orders.processes.runner.advance"
# Webhooks (webhooks/): a delivery's time limit, the answer read at most, attempts
# before an event is parked on the dead-letter desk and the backoff between them.
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "5"))
WEBHOOKS_RESPONSE_LIMIT_BYTES = 4096
WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("WEBHOOKS_MAX_ATTEMPTS", "10"))
WEBHOOKS_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_BASE_SECONDS", "1"))
WEBHOOKS_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_MAX_SECONDS", "60"))
WEBHOOKS_SECONDS_PER_TASK = float(os.environ.get("WEBHOOKS_SECONDS_PER_TASK", "30"))
# Off: a target on a private, loopback or link-local address is refused (webhooks/targets.py).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# What else `rotate_key_encryption_key` rewraps beside the data keys.
KEY_ENCRYPTION_REWRAPS = ["webhooks.signing.rewrap"]
EVENTSTORE_SNAPSHOT_EVERY = int(os.environ.get("EVENTSTORE_SNAPSHOT_EVERY", "50"))
PROJECTIONS_BATCH_SIZE = int(os.environ.get("PROJECTIONS_BATCH_SIZE", "500"))
# The dead-letter desk: an item stuck this long shows in red on the admin index and is
# counted by /healthz (its status code stays as it is).
DEAD_LETTER_AFTER_SECONDS = int(os.environ.get("DEAD_LETTER_AFTER_SECONDS", "300"))
# Rebuilds read bigger batches; live events of a projection being rebuilt may wait
# about one batch (1-2 s at 20,000).
PROJECTIONS_REBUILD_BATCH_SIZE = int(os.environ.get("PROJECTIONS_REBUILD_BATCH_SIZE", "20000"))
# A catch-up task stops starting rounds after this long (django-q2 timeout is 60 s).
PROJECTIONS_SECONDS_PER_TASK = float(os.environ.get("PROJECTIONS_SECONDS_PER_TASK", "20"))
PROJECTIONS_BATCHES_PER_TASK = int(os.environ.get("PROJECTIONS_BATCHES_PER_TASK", "20"))
# The process managers' task (orders.processes.tasks): the same bounds, of its own.
PROCESSES_SECONDS_PER_TASK = float(os.environ.get("PROCESSES_SECONDS_PER_TASK", "20"))
PROCESSES_BATCHES_PER_TASK = int(os.environ.get("PROCESSES_BATCHES_PER_TASK", "20"))
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(256 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
READ_YOUR_WRITES_TIMEOUT = float(os.environ.get("READ_YOUR_WRITES_TIMEOUT", "2.0"))

REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "chronicle",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 60,
    # retry must exceed timeout, or a slow task is delivered twice while it still runs.
    "retry": 90,
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 1,
    "poll": 0.2,
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    "orm": "default",
    "ack_failures": True,
    "save_limit": 1000,
}
# The webhooks' own cluster (`manage.py webhooks_worker`): a slow target takes only its
# workers, never the projections' or the process managers'.
Q_CLUSTER["ALT_CLUSTERS"] = {
    "webhooks": {
        "workers": int(os.environ.get("WEBHOOKS_WORKERS", "2")),
        "timeout": 120,
        "retry": 180,
    }
}
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # django-q2's own lines ("Enqueued [chronicle] 12" for every wake-up, in the web
    # process too): `make run` keeps them to warnings unless asked (scripts/serve.sh).
    "loggers": {"django-q": {"level": os.environ.get("Q_LOG_LEVEL", LOG_LEVEL)}},
}
