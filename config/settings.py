"""Settings for the DSR back office: one env-driven module.

With no environment at all the project runs on an embedded default (a SQLite file, a Celery broker
on the file system and emails written as files, all under var/), so a newcomer can try it at once.
Production sets DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL and DJANGO_SECRET_KEY (see .env.example).
DEBUG is off unless DJANGO_DEBUG asks for it; the key is never a published one.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config import secret_key

django_stubs_ext.monkeypatch()  # lets ModelAdmin[Model] and other generics be written at run time

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # optional; the real environment wins

VAR_DIR = Path(env("DSR_VAR_DIR", default=str(BASE_DIR / "var")))
# Everything this process writes under var/ (the SQLite file, the broker's messages, emails written as
# files, the generated key, uploads) is readable by its owner only: files 0600, folders 0700.
os.umask(0o077)
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

# Fail closed: DEBUG is off unless asked for (bin/run asks, and then only loopback may connect), and
# links are signed with DJANGO_SECRET_KEY or, with none given, a random key generated once under var/.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or secret_key.load_or_create(VAR_DIR / "secret_key")
if not DEBUG and (_weakness := secret_key.weakness(SECRET_KEY)):
    raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is refused: {_weakness}. Set a long random one (.env.example).")
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[*LOOPBACK_HOSTS, "testserver"])
if DEBUG and set(ALLOWED_HOSTS) - {*LOOPBACK_HOSTS, "testserver"}:
    raise ImproperlyConfigured("DJANGO_DEBUG is for this machine only: DJANGO_ALLOWED_HOSTS must stay on loopback.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Used to build absolute links in emails (verification, status, responder links).
SITE_URL = env("DSR_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.StaffAdminConfig",  # Django's admin with the staff login (second factor)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "policies",
    "dsr",
    "api.drp",
    "api",
]

MIDDLEWARE = [
    "dsr.ops.logcontext.RequestIdMiddleware",
    # Before anything reads the body (the CSRF check does): oversized bodies are refused unread (dsr.public.limits;
    # to the API's and the protocol's clients in JSON).
    "api.limits.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A Content-Security-Policy on every response; no-store on every page reached by a signed link.
    "csp.middleware.CSPMiddleware",
    "dsr.security.middleware.SecurityHeadersMiddleware",
    # Static files straight from the web process, compressed and cached (no separate file server).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): logged in with the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: refuses a locked-out staff login before the view.
    "axes.middleware.AxesMiddleware",
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

# --- Database -------------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
# ATOMIC_REQUESTS stays off: domain functions own durable transactions.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by web, worker and beat. WAL lets readers work beside one writer;
    # IMMEDIATE transactions take the write lock when they begin (a deferred one that upgrades later can
    # fail at once with "database is locked"); the busy timeout makes writers queue instead of failing.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Staff logins ---------------------------------------------------------------------------------
# django-axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# After this many failed logins (a wrong password or a wrong code), an account is locked, and so is the
# network they came from, each on its own, for an hour; a successful login clears the account's count.
AXES_FAILURE_LIMIT = env.int("DSR_STAFF_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = dt.timedelta(seconds=env.int("DSR_STAFF_LOCKOUT_SECONDS", default=3600))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "dsr.security.clients.client_network"  # behind the trusted proxies, by /64
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# A second factor (TOTP, django-otp) for every staff member when on (the default with DEBUG off); staff
# who have set one up always need it. dsr.security.staff.
DSR_STAFF_REQUIRE_2FA = env.bool("DSR_STAFF_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "DSR back office"
# Staff sessions last a working day, not Django's two weeks, and logging out ends every session of
# that user (dsr.security.staff). The public pages keep no session.
SESSION_COOKIE_AGE = env.int("DSR_STAFF_SESSION_SECONDS", default=8 * 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time and language ----------------------------------------------------------------------------
# Deadlines are computed in the responder's own time zone (dsr/deadlines.py); storage is UTC.
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("et", "Eesti"), ("fi", "Suomi")]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(mode=0o700, exist_ok=True)  # filled by collectstatic (bin/serve); WhiteNoise serves it
# https://whitenoise.readthedocs.io/en/stable/django.html
# Files people send with their replies (dsr.models.Attachment): served to staff only, through the admin.
MEDIA_ROOT = Path(env("DSR_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served publicly: staff download through the admin, which checks the vendor
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Answer packages (dsr.packages): the storage alias their files go to (any django-storages backend added to
# STORAGES in production; the file system under MEDIA_ROOT by default), and how many days the person's
# download link works before the package and its files are deleted.
DSR_PACKAGE_STORAGE = env("DSR_PACKAGE_STORAGE", default="default")
DSR_PACKAGE_DAYS = env.int("DSR_PACKAGE_DAYS", default=14)

# --- Email ----------------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# Default: every email is written as a file under var/mail/<reference>/ where a person can read it
# (dsr.outbox.filemail), deleted with the request's personal data.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # django-environ turns filemail:///abs/path into a relative path, so the default is spelled out.
    EMAIL_BACKEND = "dsr.outbox.filemail.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="DSR back office <privacy-requests@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Default broker: kombu's file-system transport under var/broker (no server needed).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # broadcast (e.g. `celery inspect ping`)
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    # Longer than the longest retry delay of the outbox (6 h), so Redis never hands a waiting retry to
    # a second worker (the claim would stop a double send, but the retry would be counted twice).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("DSR_BROKER_VISIBILITY_TIMEOUT", default=8 * 3600)}
# Queues by urgency (dsr/jobs.py): "person" carries email a person waits for, "work" routing and
# responders' and staff email, "bulk" mail sent in batches (at a lower CPU priority), "periodic" the beat
# jobs. bin/serve runs a worker per queue.
# https://docs.celeryq.dev/en/stable/userguide/routing.html
CELERY_TASK_DEFAULT_QUEUE = "work"
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_TASK_ROUTES = {
    "dsr.tasks.route_request_task": {"queue": "work"},
    "dsr.tasks.route_requests_task": {"queue": "work"},
    "dsr.tasks.send_emails_task": {"queue": "bulk"},
    "dsr.tasks.send_webhook_task": {"queue": "work"},
    "dsr.tasks.sweep_deadlines_task": {"queue": "periodic"},
    "dsr.tasks.reconcile_task": {"queue": "periodic"},
    "dsr.tasks.expire_and_purge_task": {"queue": "periodic"},
    "dsr.tasks.expire_packages_task": {"queue": "periodic"},
    "api.drp.tasks.purge_seen_messages_task": {"queue": "periodic"},
    "api.tasks.purge_api_records_task": {"queue": "periodic"},
}
# How many processes serve each queue in bin/serve (the person queue is kept free for what people wait for).
DSR_WORKER_CONCURRENCY = {
    "person": env.int("DSR_WORKER_CONCURRENCY_PERSON", default=2),
    "work": env.int("DSR_WORKER_CONCURRENCY_WORK", default=2),
    "bulk": env.int("DSR_WORKER_CONCURRENCY_BULK", default=1),
    "periodic": env.int("DSR_WORKER_CONCURRENCY_PERIODIC", default=1),
}
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-acks-late
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-time-limit
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-serializer
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-ignore-result
# The database records every outcome; no result backend is needed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#beat-schedule-filename
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Static schedule, crontab only; `expires` so a slow worker does not pile up duplicates.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-deadlines": {
        "task": "dsr.tasks.sweep_deadlines_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "reconcile": {
        "task": "dsr.tasks.reconcile_task",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    "expire-and-purge": {
        "task": "dsr.tasks.expire_and_purge_task",
        "schedule": crontab(hour="3", minute="17"),
        "options": {"expires": 60 * 60},
    },
    # Answer packages past their DSR_PACKAGE_DAYS: files deleted from storage, the package marked.
    "expire-packages": {
        "task": "dsr.tasks.expire_packages_task",
        "schedule": crontab(minute="41"),
        "options": {"expires": 50 * 60},
    },
    # Data Rights Protocol: signed messages seen, forgotten once expired (an expired message is refused anyway).
    "drp-purge-seen": {
        "task": "api.drp.tasks.purge_seen_messages_task",
        "schedule": crontab(minute="23"),
        "options": {"expires": 50 * 60},
    },
    # The API's idempotency keys past their 24 hours, and its call log past DSR_API_CALL_LOG_DAYS.
    "api-purge": {
        "task": "api.tasks.purge_api_records_task",
        "schedule": crontab(hour="3", minute="47"),
        "options": {"expires": 60 * 60},
    },
}
# Beat sends a heartbeat to each queue every minute; the worker that runs it records it, and /health/
# reports a queue whose last heartbeat is older than DSR_HEARTBEAT_STALE_SECONDS (default 180).
for _queue in ("person", "work", "bulk", "periodic"):
    CELERY_BEAT_SCHEDULE[f"heartbeat-{_queue}"] = {
        "task": "dsr.tasks.heartbeat_task",
        "schedule": crontab(minute="*"),
        "args": (_queue,),
        "options": {"queue": _queue, "expires": 50},
    }
# Workers log through LOGGING below (JSON with the task id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DSR_HEARTBEAT_STALE_SECONDS = env.int("DSR_HEARTBEAT_STALE_SECONDS", default=180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Security -------------------------------------------------------------------------------------
# Production (DEBUG off) passes `manage.py check --deploy`; TLS is assumed to end at a proxy that sets
# X-Forwarded-Proto.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The language a person chose (the only cookie the public pages set): never sent over plain HTTP in
# production, never to another site's forms, never read by scripts.
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Content-Security-Policy on every page (django-csp): scripts, styles, images and fonts from this site
# only, no inline script or style (the stylesheets are static files), no plugins, no framing, forms
# post back here only. https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# How many proxies in front of the site append to X-Forwarded-For (dsr.security.clients.client_ip): 0
# reads the connection's own address (the header is ignored, anyone can write it); 1 behind one proxy.
# Wrong in either direction, the rate limits count the proxy or a forged address instead of the person.
DSR_TRUSTED_PROXY_HOPS = env.int("DSR_TRUSTED_PROXY_HOPS", default=0)

# One JSON object per line in production (DSR_LOG_FORMAT=json, the default with DEBUG off), each with
# the request id (X-Request-ID) or the Celery task id, so a click can be followed into the worker.
LOG_FORMAT = env("DSR_LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "dsr.ops.logcontext.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s%(task_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # runserver's access lines (bin/run) go through the same filter, which cuts link tokens out of paths.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# Error reporting when a DSN is given; no personal data is sent (no request bodies, no user details).
# https://docs.sentry.io/platforms/python/integrations/django/
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,
        max_request_body_size="never",
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Product settings -----------------------------------------------------------------------------
# Where the versioned policy and law files live (policies/data/README.md).
# Where staff notifications go until per-vendor teams are set up in the admin.
DSR_STAFF_EMAIL = env("DSR_STAFF_EMAIL", default="privacy-staff@localhost")
# Data Rights Protocol (api.drp): the technical contact the service directory gives agents, and whether a
# status callback may go to a plain-http URL (only for a machine's own tests: agents' callbacks are https).
DRP_TECHNICAL_CONTACT = env("DRP_TECHNICAL_CONTACT", default=DSR_STAFF_EMAIL)
DRP_ALLOW_HTTP_CALLBACKS = env.bool("DRP_ALLOW_HTTP_CALLBACKS", default=DEBUG)
# Webhooks and status callbacks (dsr.outbox.webhooks) go only to public addresses over https; this lets
# them reach loopback and private receivers (plain http too) for tests and local development. Never in production.
DSR_WEBHOOK_ALLOW_PRIVATE = env.bool("DSR_WEBHOOK_ALLOW_PRIVATE", default=False)
# How long the API's call log (who called what, when, with which answer; never a body) is kept: long enough
# to answer for a year of calls in an audit, then deleted by the daily api-purge job.
DSR_API_CALL_LOG_DAYS = env.int("DSR_API_CALL_LOG_DAYS", default=400)
POLICY_DATA_DIR = Path(env("DSR_POLICY_DATA_DIR", default=str(BASE_DIR / "policies" / "data")))

# The REST API (api/): clients authenticate with their secret only (no session, so no CSRF to check), JSON
# in and out, the schema from the code (drf-spectacular).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ClientAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DSR back office API",
    "DESCRIPTION": "File and follow data-subject requests for the vendors a client serves. Names follow OpenDSR "
    "where it has them; see api/README.md for authentication, idempotency, callbacks and their signatures.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}
