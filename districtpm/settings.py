"""District PM settings, read from the environment.

SQLite file under var/ by default; PostgreSQL when DATABASE_URL is set. DEBUG is off unless
DISTRICTPM_DEBUG=1. With DISTRICTPM_ENV=production a SECRET_KEY must come from the environment
and the HTTPS hardening that `districtpm check --deploy` expects is switched on.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DISTRICTPM_VAR", BASE_DIR.parent / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = os.environ.get("DISTRICTPM_ENV", "").lower() == "production"
DEBUG = _flag("DISTRICTPM_DEBUG")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production.")
    # Outside production a key is made once and kept beside the database, so sessions survive
    # restarts of `make demo` without anyone configuring anything.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "js_lib_htmx",
    "districtpm.audit",
    "districtpm.org",
    "districtpm.accounts",
    "districtpm.web",
    "districtpm.demo",
    "districtpm.metrics",
    "districtpm.plans",
    "districtpm.actionplans",
    "districtpm.meetings",
    "districtpm.rubrics",
    "districtpm.improvement",
    "districtpm.evaluation",
    "districtpm.processmaps",
    "js_lib_vega_embed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so it knows who is signed in; static files never reach it.
    "districtpm.web.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "districtpm.urls"
WSGI_APPLICATION = "districtpm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Templates every app shares (a form page, its fields, pagination, a confirmation).
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "districtpm.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'districtpm.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a server database: several waitress threads write at once.
    # - IMMEDIATE: every transaction takes the write lock when it begins. A deferred one reads
    #   first and then cannot upgrade to writing while another thread writes, which SQLite
    #   reports at once as "database is locked" without waiting for the busy timeout.
    # - timeout: a writer waits up to 20 s for the lock (SQLite's busy timeout) instead of failing.
    # - WAL: readers never block the writer nor wait for it. The mode is stored in the file;
    #   synchronous=NORMAL is safe with WAL (a power cut may lose the last commits, never
    #   corrupts) and spares an fsync per commit. An in-memory test database ignores WAL.
    # CONN_MAX_AGE stays 0 with WAL: opening a SQLite file and running the two PRAGMAs costs
    # well under a millisecond per request, so persistent connections would buy nothing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures for one username from one address lock that pair for 15
# minutes, and twenty failures from one address across any usernames lock the address (one
# password sprayed over many accounts). Axes has a single limit, so the per-address rule lives in
# our handler; twenty leaves room for a school's staff behind one NAT address mistyping.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "districtpm.accounts.throttle.AddressAwareHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4). Everything is served from our own origin: no inline
# script or style, no eval (charts run Vega's expression interpreter, not generated code), no
# plugins, no framing, forms post only to us. The browser test in web/tests/test_csp_browser.py
# visits every template family and fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Denver")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# The address people reach the product at, for links in emails.
DISTRICTPM_BASE_URL = os.environ.get("DISTRICTPM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "District PM <districtpm@localhost>")

# The analytics store: a DuckDB file by default; ANALYTICS_URL points metric computation at
# another engine Ibis supports (PostgreSQL, Trino, Snowflake…) holding the canonical tables.
ANALYTICS_PATH = Path(os.environ.get("ANALYTICS_PATH", VAR_DIR / "analytics.duckdb"))
ANALYTICS_URL = os.environ.get("ANALYTICS_URL", "")
# ANALYTICS_ENGINE=spark keeps the whole store on Spark instead (districtpm/analytics/spark_store.py):
# imports, metric computation and the import log; SPARK_MASTER is the cluster (local[*] runs Spark
# in this process's machine), SPARK_CONF a JSON object of further Spark settings, and the warehouse
# and staging folders must be shared by every executor on a cluster. docs/spark.md has a sample.
# DuckDB's memory limit (like 3GB; empty: DuckDB's own, 80% of the machine) and the folder it
# spills to beyond it (empty: beside the store file), for every connection to the store.
ANALYTICS_MEMORY_LIMIT = os.environ.get("ANALYTICS_MEMORY_LIMIT", "")
ANALYTICS_TEMP_DIR = os.environ.get("ANALYTICS_TEMP_DIR", "")
ANALYTICS_ENGINE = os.environ.get("ANALYTICS_ENGINE", "duckdb").strip().lower()
if ANALYTICS_ENGINE not in ("duckdb", "spark"):
    raise ImproperlyConfigured(
        f"ANALYTICS_ENGINE is {ANALYTICS_ENGINE!r}: it must be duckdb (the default) or spark."
    )
ANALYTICS_WAREHOUSE = Path(os.environ.get("ANALYTICS_WAREHOUSE", VAR_DIR / "warehouse"))
ANALYTICS_STAGING = Path(os.environ.get("ANALYTICS_STAGING", VAR_DIR / "staging"))
SPARK_MASTER = os.environ.get("SPARK_MASTER", "local[*]")
SPARK_CONF = json.loads(os.environ.get("SPARK_CONF") or "{}")

# An import task whose worker has not been heard from for this long is taken as dead.
DISTRICTPM_TASK_STALE_SECONDS = int(os.environ.get("DISTRICTPM_TASK_STALE_SECONDS", "600"))

# The smallest student group whose numbers may be shown anywhere.
# A PowerPoint file (.pptx) whose layouts, logo, colours and fonts the meeting packs use.
DISTRICTPM_PACK_TEMPLATE = os.environ.get("DISTRICTPM_PACK_TEMPLATE", "")
DISTRICTPM_MIN_N = int(os.environ.get("DISTRICTPM_MIN_N", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_refusals": {"()": "districtpm.web.log.QuietRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # A refused request (403 and other 4xx) is expected: one line, no traceback. 500s keep theirs.
    "loggers": {"django.request": {"filters": ["quiet_refusals"], "level": "WARNING"}},
}

# Input limits for every import (districtpm/core/intake.py)
# Sizes in MB; read by intake.limits() on every call. A refused file gets a plain message.
DISTRICTPM_MAX_UPLOAD_MB = float(os.environ.get("DISTRICTPM_MAX_UPLOAD_MB", "200"))
DISTRICTPM_MAX_ZIP_MEMBERS = int(os.environ.get("DISTRICTPM_MAX_ZIP_MEMBERS", "50"))
DISTRICTPM_MAX_EXPANDED_MB = float(os.environ.get("DISTRICTPM_MAX_EXPANDED_MB", "1024"))
DISTRICTPM_MAX_FIELD_CHARS = int(os.environ.get("DISTRICTPM_MAX_FIELD_CHARS", "10000"))
DISTRICTPM_MAX_ROWS = int(os.environ.get("DISTRICTPM_MAX_ROWS", "5000000"))
DISTRICTPM_MAX_ZIP_RATIO = int(os.environ.get("DISTRICTPM_MAX_ZIP_RATIO", "100"))
# Django's own caps, kept at its defaults on purpose: a request body other than files over
# DATA_UPLOAD_MAX_MEMORY_SIZE is refused, and an upload over FILE_UPLOAD_MAX_MEMORY_SIZE is
# spooled to a temporary file rather than held in memory. The size of an uploaded file itself
# is checked by the import forms against DISTRICTPM_MAX_UPLOAD_MB (a form error, not a 500).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)

# Uploaded evidence files: kept under var/, never served as static files (the views that
# hand them out check who may read them).
MEDIA_ROOT = VAR_DIR / "uploads"
