"""Settings shared by every way of running the CRM. Values come from the environment."""

from __future__ import annotations

from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_choice,
    env_currency,
    env_database,
    env_int,
    env_list,
    env_rate,
    env_redis_url,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CRM_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", required=True)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind a load balancer that sets X-Forwarded-For, take the client's IP from it.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm.core",
    "crm.accounts",
    "crm.audit",
    "crm.contacts",
    "crm.deals",
    "crm.leads",
    "crm.forecasts",
    "crm.activities",
    "crm.agenda",
    "crm.products",
    "crm.quotes",
    "crm.notifications",
    "crm.emails",
    "crm.orders",
    "crm.imports",
    "crm.duplicates",
    "crm.demo",
]

MIDDLEWARE = [
    "crm.core.middleware.RequestContextMiddleware",
    "crm.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.core.middleware.UserPreferencesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.core.context_processors.shell",
            ],
        },
    }
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'crm.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["crm.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins: this many failures for one user name or one IP address within the
# window lock further attempts from it until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15, minimum=1)

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not one of: en, zh-hans")
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_time_zone("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True
DEFAULT_CURRENCY = env_currency("DEFAULT_CURRENCY", "CNY")
# Days after confirmation that an order's default instalment is due (crm/orders).
ORDER_PAYMENT_DAYS = env_int("ORDER_PAYMENT_DAYS", 30, minimum=0)

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Largest quote PDF logo upload (crm/quotes/forms.py), in bytes.
QUOTE_LOGO_MAX_BYTES = env_int("QUOTE_LOGO_MAX_BYTES", 1024 * 1024, minimum=1024)

REDIS_URL = env_redis_url("REDIS_URL")
EMBEDDED = not REDIS_URL

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by the web server's processes and the worker, so rate
    # limits hold across them without any server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_TASK_IGNORE_RESULT = True
# Keep the project's logging (with request ids) in the worker and scheduler too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "purge-recycle-bin": {"task": "crm.core.tasks.recycle_bin_purge_task", "schedule": 3600.0},
    "purge-export-files": {"task": "crm.core.tasks.export_files_purge_task", "schedule": 3600.0},
    "database-optimize": {"task": "crm.core.tasks.database_optimize_task", "schedule": 6 * 3600.0},
    "forecast-snapshot": {
        "task": "crm.forecasts.tasks.forecast_snapshot_task",
        "schedule": crontab(minute=30, hour=6, day_of_week="mon"),
    },
    "value-tiers": {"task": "crm.contacts.tasks.tiers_recompute_task", "schedule": crontab(hour=2, minute=30)},
    # Sent quotes past their validity become expired (crm/quotes/services.py).
    "quotes-expire": {"task": "crm.quotes.tasks.quotes_expire_task", "schedule": crontab(hour=0, minute=20)},
    # Activity reminders: claims the due ones each minute (crm/activities/reminders.py).
    "activity-reminders": {"task": "crm.activities.tasks.send_due_reminders_task", "schedule": 60.0},
    "purge-notifications": {
        "task": "crm.notifications.tasks.notifications_purge_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Duplicate companies and contacts over the whole database (crm/duplicates/scan.py).
    "duplicates-scan": {"task": "crm.duplicates.tasks.duplicates_scan_task", "schedule": crontab(hour=3, minute=15)},
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    _queue_dir = VAR_DIR / "queue"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport has no fan-out exchange for remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

RECYCLE_BIN_DAYS = env_int("RECYCLE_BIN_DAYS", 30, minimum=1)
# An XLSX export of more rows than this is built by a background job (a workbook can
# only be sent once complete); the file is kept for EXPORT_KEEP_HOURS.
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 50_000, minimum=1)
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24, minimum=1)
# Shared by the web and worker machines when there are several (see docs/deployment.md).
EXPORT_DIR = Path(env_str("EXPORT_DIR", str(VAR_DIR / "exports")))
# Imports (crm/imports): the largest file accepted, where uploaded files are kept until
# their import is finished, and the XLSX "zip bomb" limits checked before opening one.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
IMPORT_DIR = Path(env_str("IMPORT_DIR", str(VAR_DIR / "imports")))
IMPORT_XLSX_MAX_UNCOMPRESSED = env_int("IMPORT_XLSX_MAX_UNCOMPRESSED", 1024 * 1024 * 1024, minimum=1024 * 1024)
IMPORT_CHUNK_ROWS = env_int("IMPORT_CHUNK_ROWS", 2000, minimum=1)
# Clean the next chunks of an import in a second thread while the current one is written.
IMPORT_PREPARE_AHEAD = env_bool("IMPORT_PREPARE_AHEAD", True)

EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Without an SMTP server, mail is written to files under var/mail to read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "crm@localhost")
# Mail to log+<token>@INBOUND_EMAIL_DOMAIN is posted by the mail gateway to
# /api/v1/emails/inbound/ and logged for the user the token belongs to (crm.emails).
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "").strip().lower()
EMAIL_MAX_INBOUND_BYTES = env_int("EMAIL_MAX_INBOUND_BYTES", 10 * 1024 * 1024, minimum=1024)
# The address users reach the CRM at, for links in e-mails sent by jobs (no request to take it from).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "600/min")
# Submissions of public web-to-lead forms from one address (more get 429).
WEB_FORM_RATE_LIMIT = env_rate("WEB_FORM_RATE_LIMIT", "20/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm.core.api.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "crm.core.api.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["crm.core.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_RATE_LIMIT},
    "EXCEPTION_HANDLER": "crm.core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "REST API of the CRM. Authenticate with a personal token: `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    # Users' and contacts' languages are the same choice set: one enum in the schema.
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": LANGUAGES, "TierEnum": "crm.contacts.models.Tier.choices"},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # A user's language and a contact's preferred language share one choice set.
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"}},
    "filters": {"request_id": {"()": "crm.core.context.RequestIdLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
