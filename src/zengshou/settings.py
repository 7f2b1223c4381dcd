"""Django settings. Secrets and the database come from the environment; defaults suit one office machine."""

from __future__ import annotations

import os
from pathlib import Path

from zengshou import config

BASE_DIR = Path(__file__).resolve().parent
DEBUG = os.environ.get("ZENGSHOU_DEBUG", "") == "1"


def _secret_key() -> str:
    key = os.environ.get("ZENGSHOU_SECRET_KEY")
    if key:
        return key
    path = config.home() / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h for h in os.environ.get("ZENGSHOU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "zengshou.registry",
    "zengshou.tiers",
    "zengshou.monitor",
    "zengshou.toolbox",
    "zengshou.assess",
    "zengshou.pairing",
    "zengshou.quality",
    "zengshou.layouts",
    "ninja",
    "zengshou.web",
    "django_tasks",
    "django_tasks_db",
    "zengshou.batch",
]

MIDDLEWARE = [
    "zengshou.web.requestid.RequestIdMiddleware",  # first: the id is set while anything inside logs
    "zengshou.web.middleware.NulByteMiddleware",  # before anything reads the path, query or form
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zengshou.web.middleware.IdleTimeoutMiddleware",
    "zengshou.web.middleware.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zengshou.web.errors.MethodNotAllowedMiddleware",
]

ROOT_URLCONF = "zengshou.urls"
CSRF_FAILURE_VIEW = "zengshou.web.errors.csrf_failure"
WSGI_APPLICATION = "zengshou.wsgi.application"

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
                "zengshou.web.context.web",
            ],
        },
    },
]

DATABASES = {"default": config.database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "zengshou.web.hashers.OfficeArgon2PasswordHasher",  # reads Django's argon2 hashes, upgrades them
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = config.home() / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # ``zengshou serve`` collects into it; whitenoise serves it
WHITENOISE_USE_FINDERS = True  # files not collected yet are served from the apps' static folders
MEDIA_URL = "/media/"
MEDIA_ROOT = config.home() / "media"

SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 200 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Web app: login throttling, idle expiry, HTTPS hardening when served behind TLS.
LOGOUT_REDIRECT_URL = "/login/"
#: Sign-in throttling (web/accounts.py): failures within the window are counted per user name and
#: address together; past the free ones each attempt waits 1 s, 2 s, 4 s … (at most the cap) after
#: the last failure. Per address alone and per user name alone only a far higher count delays.
WEB_LOGIN_WINDOW_MINUTES = 15
WEB_LOGIN_FREE_FAILURES = 5
WEB_LOGIN_DELAY_CAP_SECONDS = 300
WEB_LOGIN_FREE_FAILURES_PER_IP = 200
WEB_LOGIN_FREE_FAILURES_PER_USER = 50
#: Password hashes computed at once per process (each Argon2 hash takes 19 MiB).
WEB_LOGIN_CONCURRENT_HASHES = 2
WEB_SESSION_IDLE_MINUTES = int(os.environ.get("ZENGSHOU_SESSION_IDLE_MINUTES", "30"))
#: Run uploads' validation and loading in the request (tests) instead of a background thread.
WEB_IMPORT_INLINE = os.environ.get("ZENGSHOU_IMPORT_INLINE", "") == "1"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if os.environ.get("ZENGSHOU_HTTPS", "") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background batches (django-tasks): queued in the database, run by ``zengshou worker``, which
# ``zengshou serve`` starts beside the web server; no extra server on SQLite or PostgreSQL.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Logging: errors with their traceback to $ZENGSHOU_HOME/logs/zengshou.log (rotated at 10 MB, 5 kept;
# concurrent-log-handler because gunicorn's workers and the batch worker write to the same file) and
# to the console, each line with the request id the error page shows (web/requestid.py). The console
# handler only in the server and the batch worker (ZENGSHOU_LOG_CONSOLE=1): a command's screen shows
# its Chinese message, never a library's English log line.
LOG_DIR = config.home() / "logs"
LOG_DIR.mkdir(exist_ok=True)
LOG_FILE = LOG_DIR / "zengshou.log"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "zengshou.web.requestid.RequestIdFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
            "level": "WARNING",
        },
        "file": {
            "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
            "filename": str(LOG_FILE),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "encoding": "utf-8",
            "filters": ["request_id"],
            "formatter": "line",
        },
    },
    "root": {
        "handlers": ["console", "file"] if os.environ.get("ZENGSHOU_LOG_CONSOLE", "") == "1" else ["file"],
        "level": "WARNING",
    },
    "loggers": {
        # Django's own handlers (console only with DEBUG, mail to admins) give way to the two above.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "zengshou": {"level": "INFO"},
    },
}
