"""Settings for the 创业威海 platform, driven by the environment.

With no environment at all it runs on an SQLite file in ``./var`` with a generated secret key,
so a fresh checkout works; ``DATABASE_URL=postgres://…`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PACKAGE_DIR.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("CHUANGYE_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Read the key from the environment, else from (or into) a file in the data dir."""
    if key := os.environ.get("CHUANGYE_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CHUANGYE_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CHUANGYE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CHUANGYE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "chuangye.accounts.admin_site.AccountsAdminConfig",  # django.contrib.admin, 2FA-gated site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "chuangye.core",
    "chuangye.accounts",
    "chuangye.plans",
    "chuangye.reporting",
    "chuangye.monitoring",
    "chuangye.documents",
    "chuangye.programs.entrepreneurs",
    "chuangye.programs.loans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chuangye.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "chuangye.accounts.middleware.SecondFactorMiddleware",
    "chuangye.accounts.middleware.PasswordExpiryMiddleware",
    "chuangye.accounts.middleware.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chuangye.accounts.middleware.NoStoreMiddleware",
    "chuangye.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "chuangye.config.urls"
WSGI_APPLICATION = "chuangye.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chuangye.accounts.context_processors.access",
                "chuangye.reporting.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'chuangye.sqlite3'}",
        conn_max_age=int(os.environ.get("CHUANGYE_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        # ≥8 characters, 3 of 4 character classes, not containing the username (等保 2.0).
        "NAME": "chuangye.accounts.passwords.PasswordPolicyValidator",
        "OPTIONS": {"min_length": 8, "min_classes": 3},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["chuangye.accounts.backends.RoleBackend"]

LANGUAGE_CODE = "zh-hans"
# Each language named in itself, as language switchers do.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Before the first collectstatic (tests, a fresh checkout) fall back to unhashed names.
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("CHUANGYE_SESSION_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout: the age restarts on every request
SESSION_COOKIE_SECURE = env_bool("CHUANGYE_SECURE_COOKIES", env_bool("CHUANGYE_HTTPS"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "chuangye.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "chuangye.core.pagination.Pagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "chuangye.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "创业威海 API",
    "DESCRIPTION": "威海市“创业威海”行动方案 统筹调度平台接口",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several apps have a "kind" or "status": name each choice set after its own model.
    "ENUM_NAME_OVERRIDES": {
        "VentureKindEnum": "chuangye.programs.entrepreneurs.choices.VentureKind",
        "LoanKindEnum": "chuangye.programs.loans.choices.LoanKind",
        "LoanStatusEnum": "chuangye.programs.loans.choices.Status",
        "ValueStatusEnum": "chuangye.reporting.choices.ValueStatus",
        "MeasureStatusEnum": "chuangye.reporting.choices.MeasureStatus",
        "TargetGroupEnum": "chuangye.programs.entrepreneurs.choices.TargetGroup",
        "JobBasisEnum": "chuangye.programs.entrepreneurs.choices.JobBasis",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHUANGYE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Demo accounts' password (README states the default).
DEMO_PASSWORD = os.environ.get("CHUANGYE_DEMO_PASSWORD", "Chuangye@2025")

# Reporting calendar: figures for a month are due on the N-th working day of the next month and
# lock M working days after the deadline; reminders start K days before the deadline.
REPORTING_DEADLINE_WORKDAY = int(os.environ.get("CHUANGYE_DEADLINE_WORKDAY", "5"))
REPORTING_LOCK_AFTER_WORKDAYS = int(os.environ.get("CHUANGYE_LOCK_AFTER_WORKDAYS", "5"))
REMIND_DAYS_BEFORE = int(os.environ.get("CHUANGYE_REMIND_DAYS_BEFORE", "3"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("CHUANGYE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".docx", ".ofd")
EMAIL_HOST = os.environ.get("CHUANGYE_SMTP_HOST", "")
EMAIL_PORT = int(os.environ.get("CHUANGYE_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CHUANGYE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CHUANGYE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CHUANGYE_SMTP_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("CHUANGYE_MAIL_FROM", "chuangye@localhost")

# Progress lights and forecasts (序时进度).
PROGRESS_YELLOW_POINTS = float(os.environ.get("CHUANGYE_YELLOW_POINTS", "10"))
PROGRESS_APPROX_TOLERANCE = float(os.environ.get("CHUANGYE_APPROX_TOLERANCE", "10"))
PROGRESS_RELATIVE_MARGIN = float(os.environ.get("CHUANGYE_RELATIVE_MARGIN", "1"))
PROGRESS_AT_RISK_SHARE = float(os.environ.get("CHUANGYE_AT_RISK_SHARE", "90"))

# --- Security: sign-in, second factor, rate limits, HTTPS (README “安全”) ----------------------

# Reverse proxies in front of the app whose X-Forwarded-For entries are trusted (0: none, the
# client address is REMOTE_ADDR). Behind them, X-Forwarded-Proto says whether the client used HTTPS.
TRUSTED_PROXY_COUNT = int(os.environ.get("CHUANGYE_TRUSTED_PROXIES", "0"))
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Shared cache for lockout counters, rate limits and locks: one process by default, Redis for
# several app processes or machines.
if REDIS_URL := os.environ.get("CHUANGYE_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chuangye",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Lockout: this many failed sign-ins for one username, or from one client IP, lock it for
# LOGIN_LOCKOUT_SECONDS (raise the IP figure where a whole office shares one NAT address).
LOGIN_MAX_FAILURES = int(os.environ.get("CHUANGYE_LOGIN_MAX_FAILURES", "5"))
LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("CHUANGYE_LOGIN_MAX_FAILURES_PER_IP", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("CHUANGYE_LOGIN_LOCKOUT_SECONDS", str(15 * 60)))
# Password rotation in days (0: off). A password set by an administrator must always be changed.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("CHUANGYE_PASSWORD_MAX_AGE_DAYS", "90"))
# TOTP second factor for staff roles and administrators; switch off only for local development.
CHUANGYE_REQUIRE_2FA = env_bool("CHUANGYE_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "创业威海"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# API tokens stop working this many hours after issue (0: never).
TOKEN_TTL_HOURS = float(os.environ.get("CHUANGYE_TOKEN_TTL_HOURS", "12"))
# Fixed-window rate limits "COUNT/SECONDS": per client IP (scope) and per username (scope_user).
RATE_LIMITS = {
    "login": os.environ.get("CHUANGYE_RATE_LOGIN", "30/60"),
    "login_user": os.environ.get("CHUANGYE_RATE_LOGIN_USER", "10/60"),
    "token": os.environ.get("CHUANGYE_RATE_TOKEN", "30/60"),
    "token_user": os.environ.get("CHUANGYE_RATE_TOKEN_USER", "10/60"),
    "public": os.environ.get("CHUANGYE_RATE_PUBLIC", "120/60"),
}
# Public pages limited per client IP: path prefix → scope in RATE_LIMITS.
RATE_LIMITED_PATHS = {"/board/": "public"}

# HTTPS: CHUANGYE_HTTPS=1 redirects to HTTPS, marks cookies Secure and sends HSTS for a year
# (CHUANGYE_HSTS_SECONDS overrides; start small when first switching HTTPS on).
HTTPS = env_bool("CHUANGYE_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(
    os.environ.get("CHUANGYE_HSTS_SECONDS", str(365 * 24 * 3600) if HTTPS else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CHUANGYE_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("CHUANGYE_HSTS_PRELOAD")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the proxy's health probe speaks plain HTTP
if not SECURE_HSTS_PRELOAD:
    # security.W021 asks for HSTS preload. Preloading is only for public domains submitted to the
    # browsers' list; intranet and .gov.cn hosts are commonly not, so it is opt-in
    # (CHUANGYE_HSTS_PRELOAD=1) and the reminder is silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# How long records are kept after they close (days), per record type; purge commands read these.
RETENTION_DAYS = {
    "loans.rejected": int(os.environ.get("CHUANGYE_RETAIN_LOANS_REJECTED", "730")),
    "loans.returned": int(os.environ.get("CHUANGYE_RETAIN_LOANS_RETURNED", "365")),
    "loans.closed": int(os.environ.get("CHUANGYE_RETAIN_LOANS_CLOSED", "1825")),
}

# Demo personas (published password) skip the second factor so a fresh demo can be tried;
# production sets CHUANGYE_DEMO_2FA_EXEMPT=0 (or creates no demo accounts).
CHUANGYE_DEMO_2FA_EXEMPT = env_bool("CHUANGYE_DEMO_2FA_EXEMPT", True)
