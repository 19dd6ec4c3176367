"""PeerCircle settings: one file, configured by environment variables (see docs/operations.md).

Two modes share this file. The *embedded* mode (the default) runs on a laptop: SQLite in WAL mode
under the data directory, a secret key generated once and kept there, e-mail printed to the
console. The *production* mode (``PEERCIRCLE_PRODUCTION=1``) refuses to start without a secret key
and allowed hosts, and turns on every HTTPS protection ``check --deploy`` asks for.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url
import structlog

from peercircle.lib.env import SettingsError, env, envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent
_CHECKOUT = BASE_DIR.parent

PRODUCTION = envbool("PEERCIRCLE_PRODUCTION", False)
TESTING = "pytest" in sys.modules or envbool("PEERCIRCLE_TESTING", False)
DEBUG = envbool("PEERCIRCLE_DEBUG", False)


def _default_data_dir() -> Path:
    # A source checkout keeps its data beside the code, so every process started from the
    # quick start (web, worker, commands) finds the same SQLite file whatever its cwd.
    if (_CHECKOUT / "pyproject.toml").exists():
        return _CHECKOUT / "var"
    return Path.home() / ".local" / "share" / "peercircle"


DATA_DIR = Path(env("PEERCIRCLE_DATA_DIR") or _default_data_dir())


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise SettingsError(
            "SECRET_KEY is not set. In production set SECRET_KEY (or SECRET_KEY_FILE) to a long "
            "random string, e.g. the output of: python -c 'import secrets; "
            "print(secrets.token_urlsafe(64))'"
        )
    # Embedded mode: generate once and keep it, so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()


def _encryption_keys() -> list[str]:
    keys = envlist("PEERCIRCLE_ENCRYPTION_KEYS", [])
    if keys:
        return keys
    if PRODUCTION:
        raise SettingsError(
            "PEERCIRCLE_ENCRYPTION_KEYS is not set. Confidential records are encrypted with it: "
            "create a key with `peercircle new-encryption-key` and keep a copy somewhere safe."
        )
    from cryptography.fernet import Fernet

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "encryption_key"
    if not key_file.exists():
        key_file.write_text(Fernet.generate_key().decode(), encoding="utf-8")
        key_file.chmod(0o600)
    return [key_file.read_text(encoding="utf-8").strip()]


# Newest first; see peercircle/lib/crypto.py for rotation.
ENCRYPTION_KEYS = _encryption_keys()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise SettingsError("ALLOWED_HOSTS is not set: list the host names PeerCircle answers to.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "peercircle.organisations",
    "peercircle.accounts",
    "peercircle.audit",
    "peercircle.schemes",
    "peercircle.people",
    "peercircle.notifications",
    "peercircle.relationships",
    "peercircle.concerns",
    "peercircle.meetings",
    "peercircle.records",
    "peercircle.matching",
    "peercircle.groups",
    "peercircle.rotations",
    "peercircle.ops",
    "peercircle.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "peercircle.web.middleware.ViewerMiddleware",
    "peercircle.web.middleware.RequireTwoFactorMiddleware",
]

ROOT_URLCONF = "peercircle.urls"
WSGI_APPLICATION = "peercircle.wsgi.application"

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
                "peercircle.web.context.navigation",
            ],
        },
    },
]

# Databases ---------------------------------------------------------------------------------------
_default_db_url = f"sqlite:///{DATA_DIR / 'peercircle.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL") or _default_db_url)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue instead of failing with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = envint("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # PostgreSQL's JIT compiles any query it guesses is costly; on the people list of a
        # 50,000-person organisation that guess added 20-45 ms to a 100 ms query. Page queries
        # are short: off (bench/README-pages.md).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches hold login throttles: the database cache is shared by every web process.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "peercircle_cache",
    }
}
if TESTING:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

# Background tasks --------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Accounts and sign-in --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "peercircle.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Our e-mail subjects name PeerCircle already; allauth would prefix the bare host name.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Failed logins are throttled per address and per account (allauth's rate limits).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("PEERCIRCLE_LOGIN_RATE_LIMIT", "10/m/ip,5/5m/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "peercircle.accounts.adapter.MFAAdapter"
# allauth refuses two-factor set-up while an address is unverified, against self sign-ups that
# never prove their address. Ours come from an invitation sent to the address, which proves it.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# allauth's forms relabelled in plain words, with errors linked to inputs (peercircle/accounts).
ACCOUNT_FORMS = {
    "login": "peercircle.accounts.forms.LoginForm",
    "reset_password": "peercircle.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "peercircle.accounts.forms.ResetPasswordKeyForm",
    "change_password": "peercircle.accounts.forms.ChangePasswordForm",
    "reauthenticate": "peercircle.accounts.forms.ReauthenticateForm",
}
MFA_FORMS = {
    "authenticate": "peercircle.accounts.forms.AuthenticateForm",
    "reauthenticate": "peercircle.accounts.forms.MFAReauthenticateForm",
    "activate_totp": "peercircle.accounts.forms.ActivateTOTPForm",
}
MFA_TOTP_ISSUER = env("PEERCIRCLE_TOTP_ISSUER", "PeerCircle")
INVITATION_DAYS = envint("PEERCIRCLE_INVITATION_DAYS", 14)

# E-mail: an SMTP server when EMAIL_HOST is set, otherwise printed to the console.
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "PeerCircle <peercircle@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security ----------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("PEERCIRCLE_SESSION_SECONDS", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    if envbool("PEERCIRCLE_BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Static files: vendored, served by WhiteNoise; no CDN anywhere.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from finders here
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Logging: structured. JSON lines in production, readable key=value lines on a laptop.
_renderer: Any = (
    structlog.processors.JSONRenderer()
    if PRODUCTION
    else structlog.dev.ConsoleRenderer(colors=False)
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": _renderer,
            "foreign_pre_chain": [
                structlog.contextvars.merge_contextvars,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
            ],
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_structlog": {"level": "WARNING" if TESTING else "INFO"},
    },
}
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False

# PeerCircle --------------------------------------------------------------------------------------
# A worker that has not reported for this long is shown as stale on /healthz.
WORKER_STALE_SECONDS = envint("PEERCIRCLE_WORKER_STALE_SECONDS", 120)
PAGE_SIZE = envint("PEERCIRCLE_PAGE_SIZE", 50)
IMPORT_MAX_ROWS = envint("PEERCIRCLE_IMPORT_MAX_ROWS", 20000)
