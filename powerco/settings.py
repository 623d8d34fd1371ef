"""Settings for powerco: one file, driven by the environment.

Defaults run locally on SQLite with DEBUG on; production sets DATABASE_URL, SECRET_KEY,
DEBUG=0 and ALLOWED_HOSTS (see .env.example).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(os.environ.get(name, default))


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "1")

# A well-known key is only acceptable while DEBUG is on: it signs sessions and password resets.
INSECURE_SECRET_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or INSECURE_SECRET_KEY
# What `check --deploy` asks for (security.W009).
SECRET_KEY_MIN_LENGTH = 50
if not DEBUG and (SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or is the development default, or is too short. With DEBUG off, "
        f"set SECRET_KEY to a random string of at least {SECRET_KEY_MIN_LENGTH} characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # For the `unaccent` lookup used by admin search (SQLite gets a stand-in: adoption.search).
    "django.contrib.postgres",
    # django-chartjs is used for its colour sequence only; "chartjs" stays out of this list so
    # its bundled Chart.js 2.9.3 (CVE-2020-7746) and Highcharts never reach collectstatic.
    "django_tables2",
    "simple_history",
    "axes",
    "csp",
    # The worker (python manage.py run_huey) and the queue the web hands it work through.
    "huey.contrib.djhuey",
    "adoption",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "powerco.middleware.RefuseNulBytesMiddleware",
    "powerco.middleware.PrivatePagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "powerco.middleware.VietnameseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "powerco.middleware.DatabaseUnavailableMiddleware",
    "adoption.replica.ReplicaReadsMiddleware",
    # Last, as django-axes asks: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "powerco.urls"
WSGI_APPLICATION = "powerco.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'powerco.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", "0"),
    )
}
# A database that accepts connections but never answers must not hold a request until
# gunicorn's timeout: a connection attempt gives up after DB_CONNECT_TIMEOUT seconds, and a
# statement after DB_STATEMENT_TIMEOUT seconds. powerco/wsgi.py sets 30 s for the web server;
# commands (imports, refresh_adoption, backups) run without a limit unless it is set.
DB_CONNECT_TIMEOUT = envint("DB_CONNECT_TIMEOUT", "5")
DB_STATEMENT_TIMEOUT = envint("DB_STATEMENT_TIMEOUT", "0")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DB_CONNECT_TIMEOUT
    # No JIT compilation: over the payments' monthly partitions the planner's cost estimates
    # pass jit_above_cost, and compiling took 1.1 s of the admin's 1.2 s list of one
    # customer's payments (EXPLAIN ANALYZE on the benchmark database); no query of ours reads
    # enough rows at once to win it back (the rollup fill turns it off too).
    settings_options = ["-c jit=off"]
    if DB_STATEMENT_TIMEOUT:
        settings_options.append(f"-c statement_timeout={DB_STATEMENT_TIMEOUT * 1000}")
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(settings_options)
# A streaming replica for the dashboard's reads (adoption.replica): pages read it only while
# it holds the primary's data version; writes, imports and the worker use the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=envint("DB_CONN_MAX_AGE", "0")
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # A replica that does not answer costs a page this long, then is left alone for a while.
    DATABASES["replica"]["OPTIONS"]["connect_timeout"] = min(DB_CONNECT_TIMEOUT, 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["adoption.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker fills the rollups while the web server reads them: in WAL mode readers never
    # wait for a writer, and a writer waits its turn rather than failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", timeout=20
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Each worker process keeps its own cache: what is cached (charts, tables) is keyed by the data
# version read from the database, so workers never disagree about what is current.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", "2000")},
    }
}
# The dashboard's cached answers (adoption.dashboard_cache): an entry is dropped after this
# many seconds at the latest.
DASHBOARD_CACHE_SECONDS = envint("DASHBOARD_CACHE_SECONDS", "600")

# Validation rules of a month (adoption.validation, docs/closing.md): a unit's adoption rate
# moving more than this many points in a month is flagged (communes from this many customers),
# and a payment this many times above or below the customer's usual amount.
CLOSING_RATE_JUMP_POINTS = envint("CLOSING_RATE_JUMP_POINTS", "10")
CLOSING_RATE_JUMP_MIN_CUSTOMERS = envint("CLOSING_RATE_JUMP_MIN_CUSTOMERS", "50")
CLOSING_OUTLIER_FACTOR = envint("CLOSING_OUTLIER_FACTOR", "10")
# A month's partner files are due by this day of the month after (the missing-file alert).
CLOSING_FILES_DUE_DAY = envint("CLOSING_FILES_DUE_DAY", "10")

# The before/after outreach comparison leaves out of its summary the commune-months whose
# commune has fewer household customers than this (a few dozen households make a rate jump by
# chance) or fewer comparison communes than this (one neighbour is no baseline). A comparison
# commune is as large, and its rate before within this many points of the visited commune's.
OUTREACH_MIN_HOUSEHOLDS = envint("OUTREACH_MIN_HOUSEHOLDS", "100")
OUTREACH_MIN_COMPARISON_COMMUNES = envint("OUTREACH_MIN_COMPARISON_COMMUNES", "3")
OUTREACH_COMPARISON_BAND_POINTS = envint("OUTREACH_COMPARISON_BAND_POINTS", "10")

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
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "login"
# Self-service password reset sends a link by email, valid this long.
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(2 * 60 * 60))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "powerco@localhost")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "0")
# Where links in emails point (reports, unsubscribe): the address users open the site at.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Report emails and alerts (adoption.reports): a failed send is tried again after 1, 2, 4, …
# minutes, this many times in all, then stays "failed" in the admin until retried by hand.
REPORT_SEND_ATTEMPTS = envint("REPORT_SEND_ATTEMPTS", "5")
REPORT_RETRY_SECONDS = envint("REPORT_RETRY_SECONDS", "60")
# An alert when a unit's back-to-cash customers in a month exceed this share (%) of its
# non-cash customers the month before.
ALERT_BACK_TO_CASH_PERCENT = float(os.environ.get("ALERT_BACK_TO_CASH_PERCENT", "5"))
# The TrueType font of the PDF report (DejaVu Sans, Debian's fonts-dejavu-core).
REPORT_FONT_DIR = os.environ.get("REPORT_FONT_DIR", "/usr/share/fonts/truetype/dejavu")

# Shared office computers: a session ends after a working day, or when the browser closes.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(10 * 60 * 60))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling: a username+IP pair is locked for an hour after 5 failures.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = envbool("AXES_ENABLED", "1")
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Behind the documented reverse proxy every request comes from the proxy's address: the
# client's is the one the proxy appended to X-Forwarded-For. PROXY_COUNT says how many proxies
# of ours stand in front (0: none, REMOTE_ADDR is the client); see powerco/client_ip.py.
PROXY_COUNT = envint("PROXY_COUNT", "0")
AXES_CLIENT_IP_CALLABLE = "powerco.client_ip.client_ip"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's own catalogue first (makemessages writes it), then the Vietnamese of Django's
# and third-party apps' strings their own catalogues lack.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_thirdparty"]
FORMAT_MODULE_PATH = ["powerco.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
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

# Strict Content-Security-Policy: every script and style is a static file of our own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Its scrolling box takes the keyboard focus, so a wide table can be scrolled without a mouse.
DJANGO_TABLES2_TEMPLATE = "django_tables2/powerco.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

# Logs name users by id and never carry request bodies: customer names stay out of log files.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every attempt with the username at INFO; keep only warnings.
        "axes": {"level": "WARNING"},
        # fpdf2's font subsetting (the PDF report) logs every glyph it keeps at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# Imports write their reports and rejected-row files here.
IMPORT_REPORTS_DIR = Path(os.environ.get("IMPORT_REPORTS_DIR", BASE_DIR / "import-reports"))

# Uploaded import files wait here for their job; never a directory the web server publishes.
IMPORT_UPLOADS_DIR = Path(os.environ.get("IMPORT_UPLOADS_DIR", IMPORT_REPORTS_DIR / "uploads"))
# A running import job whose worker has given no sign of life for this long is marked failed.
IMPORT_STALE_SECONDS = envint("IMPORT_STALE_SECONDS", str(30 * 60))

# Background work (adoption.tasks) runs in the worker, `python manage.py run_huey`: on Redis
# when REDIS_URL is set (production), otherwise on a SQLite file of its own, so `make demo`
# needs no extra server. HUEY_IMMEDIATE=1 runs each job inside the call that enqueues it.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_SQLITE_PATH = Path(os.environ.get("HUEY_SQLITE_PATH", BASE_DIR / "huey.sqlite3"))
HUEY = {
    "name": "powerco",
    # Jobs write their outcome to the database; nothing reads a task's return value.
    "results": False,
    "immediate": envbool("HUEY_IMMEDIATE", "0"),
    "consumer": {
        "workers": envint("HUEY_WORKERS", "2"),
        "worker_type": "thread",
        "periodic": True,
    },
}
if REDIS_URL:
    HUEY.update(huey_class="huey.RedisHuey", connection={"url": REDIS_URL})
else:
    HUEY.update(huey_class="huey.SqliteHuey", connection={"filename": str(HUEY_SQLITE_PATH)})
