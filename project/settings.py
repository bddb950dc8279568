"""Settings for the staging app: the only module that reads the environment (through django-environ)."""
import importlib.util
from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# An optional local file for developers; real environment variables always win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A production deployment must bring its own key; only a DEBUG run may fall back to a throwaway one.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or put it in .env); "
            "only DEBUG=True runs may start without one."
        )
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "stagingapp.admin.errors.csrf_failure"  # says what to do, in the admin's theme

INSTALLED_APPS = [
    # The admin theme: its templates must win over django.contrib.admin's, simple-history's and import-export's.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.simple_history",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "django_q",
    "axes",
    "csp",
    # Rich-text editor whose JS/CSS ship in the package (served by staticfiles, no CDN).
    "django_prose_editor",
    "stagingapp",
]
# The Webflow test double (demo, tests, benchmark) lives outside the app's wheel with its own dependencies (the
# `sandbox` extra); its management commands are offered wherever it is installed.
if importlib.util.find_spec("webflow_sandbox") and importlib.util.find_spec("jsonschema"):
    INSTALLED_APPS.append("webflow_sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication (its 400 is drawn in the admin's frame) and after CSRF (it reads the form CSRF read).
    "stagingapp.middleware.RefuseUnreadableInput",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sends CONTENT_SECURITY_POLICY below (none while it is None, i.e. in DEBUG runs unless CSP_ENABLED says so).
    "csp.middleware.CSPMiddleware",
    # Records request.user on historical rows made during admin requests.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes checks every login first and refuses it while the account or the address is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock out after this many failed logins, per account and (separately) per client address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Hours a lockout lasts unless an admin lifts it earlier (README: Login lockout).
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "stagingapp.admin.lockout.locked_out_response"  # admin/locked_out.html, in the theme
# Behind a proxy, the client address is the one the proxy adds (set AXES_IPWARE_PROXY_COUNT to its hops).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None

ROOT_URLCONF = "project.urls"

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

WSGI_APPLICATION = "project.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock up front,
    # so two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
        }
    )
    # Tests use a file, not memory: worker tests start real `qcluster` processes that must see the test data.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", env.str("SQLITE_TEST_NAME", default=str(BASE_DIR / ".test-db.sqlite3"))
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["project.formats"]  # "7 Dec 2026, 14:52" in every list and page

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

LOGIN_URL = "admin:login"
# unfold's login form posts no `next` field when none was asked for; land on the dashboard, not /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"

# Security: strict by default whenever DEBUG is off; each can be relaxed explicitly behind a TLS proxy.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our own static files or carrying the request's nonce;
# 'unsafe-eval' because the theme's bundled Alpine.js (the standard build; unfold ships no CSP build) compiles its
# x- attributes with Function(); inline style attributes stay allowed because the admin and its theme set them;
# images may come from any https host because item pages preview Webflow's asset URLs. On whenever DEBUG is off.
STAGING_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE, "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
CSP_ENABLED = env.bool("CSP_ENABLED", default=not DEBUG)
CONTENT_SECURITY_POLICY = STAGING_CONTENT_SECURITY_POLICY if CSP_ENABLED else None

_DEFAULT_EMAIL_BACKEND = "console" if DEBUG else "smtp"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=f"django.core.mail.backends.{_DEFAULT_EMAIL_BACKEND}.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="staging@localhost")
# Seconds before a mail server that does not answer is given up on (Django's default waits for ever, which would
# hold a web request or a push worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The address people open this app at (https://staging.example.com): review e-mails link each item with it.
# Unset, they name the items without links (a worker has no request to take a host from).
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

# --- Webflow -------------------------------------------------------------------------------------------------
# The token is read here and nowhere else; it is never stored in the database or written to logs.
WEBFLOW_API_TOKEN = env.str("WEBFLOW_API_TOKEN", default="")
WEBFLOW_API_BASE_URL = env.str("WEBFLOW_API_BASE_URL", default="https://api.webflow.com").rstrip("/")
WEBFLOW_CONNECT_TIMEOUT_SECONDS = env.float("WEBFLOW_CONNECT_TIMEOUT_SECONDS", default=5.0)
WEBFLOW_READ_TIMEOUT_SECONDS = env.float("WEBFLOW_READ_TIMEOUT_SECONDS", default=60.0)
# Starter/Basic plans allow 60 requests a minute per token, CMS/Business plans 120.
WEBFLOW_RATE_LIMIT_PER_MINUTE = env.int("WEBFLOW_RATE_LIMIT_PER_MINUTE", default=60)
# The window the limit applies to; only tests and the sandbox shorten it.
WEBFLOW_RATE_LIMIT_WINDOW_SECONDS = env.float("WEBFLOW_RATE_LIMIT_WINDOW_SECONDS", default=60.0)
# Where the budget shared by every worker lives: auto = Redis when REDIS_URL is set, else the database.
WEBFLOW_RATE_LIMITER = env.str("WEBFLOW_RATE_LIMITER", default="auto")
# Send bulk creates to /beta/... instead of /v2/... (both exist).
WEBFLOW_USE_BETA_BULK = env.bool("WEBFLOW_USE_BETA_BULK", default=False)
# Webflow's official OpenAPI documents (v2.yml), used by the sandbox to validate request bodies like Webflow does.
# Default: the nearest shared/webflow-openapi beside the repository or above it (git worktrees sit deeper).
_OPENAPI_CANDIDATES = [parent / "shared" / "webflow-openapi" for parent in BASE_DIR.parents]
WEBFLOW_OPENAPI_DIR = Path(env.str("WEBFLOW_OPENAPI_DIR", default=str(
    next((path for path in _OPENAPI_CANDIDATES if path.is_dir()), _OPENAPI_CANDIDATES[0])
)))
# Attempts of one create or removal whose outcome was unknown or failed (no answer, 5xx, a 2xx the push cannot
# use; each is looked up before it goes again) before the batch stops; 429 waits are counted apart
# (policy.MAX_RATE_LIMIT_WAITS).
WEBFLOW_PUSH_MAX_ATTEMPTS = env.int("WEBFLOW_PUSH_MAX_ATTEMPTS", default=3)
# The same for requests that are safe to send again as they are (lookups and lists, PATCHes, publishes): a
# glitch three times in a row should not stop a whole batch when trying again costs one request and a backoff
# (never fewer than WEBFLOW_PUSH_MAX_ATTEMPTS).
WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS = env.int("WEBFLOW_PUSH_MAX_SAFE_ATTEMPTS", default=6)
# Exponential backoff with full jitter between attempts after a 5xx or transport error: base * 2**n, capped.
WEBFLOW_PUSH_BACKOFF_BASE_SECONDS = env.float("WEBFLOW_PUSH_BACKOFF_BASE_SECONDS", default=2.0)
WEBFLOW_PUSH_BACKOFF_MAX_SECONDS = env.float("WEBFLOW_PUSH_BACKOFF_MAX_SECONDS", default=60.0)
# After a create with no clear answer, the items Webflow created from this long before the chunk was sent until
# this long after the lookup are listed (allows for our clock and Webflow's disagreeing by up to this much).
WEBFLOW_PUSH_RECONCILE_MARGIN_SECONDS = env.float("WEBFLOW_PUSH_RECONCILE_MARGIN_SECONDS", default=120.0)
# Webflow may apply a create after the client's read timeout: the lookup after a timeout waits this long past it.
WEBFLOW_PUSH_LANDING_MARGIN_SECONDS = env.float("WEBFLOW_PUSH_LANDING_MARGIN_SECONDS", default=30.0)
# Push requests on their way at once (creates and PATCHes), all inside the shared rate limit: with Webflow taking
# a second or two per answer, one at a time makes the run latency-bound. 1 sends one at a time. Batches whose
# drafts reference each other stay serial whatever this says (a PATCH needs its target's create recorded).
WEBFLOW_PUSH_IN_FLIGHT = env.int("WEBFLOW_PUSH_IN_FLIGHT", default=4)
# A running batch whose worker has not shown a sign of life for this long may be resumed by another run; the
# recovery check runs every minute and once this long after a cluster starts, so a dead worker's batch resumes
# within about a minute. A queued batch whose task was lost is handed to the queue again after the same time.
WEBFLOW_PUSH_STALE_SECONDS = env.int("WEBFLOW_PUSH_STALE_SECONDS", default=30)
# A running batch's heartbeat, written from its own thread, so long HTTP or rate-limit waits never look like a
# dead worker. Kept at most a third of the stale time; 0 switches the thread off (the run still beats per step).
WEBFLOW_PUSH_HEARTBEAT_SECONDS = env.float("WEBFLOW_PUSH_HEARTBEAT_SECONDS", default=5.0)
# How often the "drift verify" schedule re-reads each linked collection from Webflow (list requests); 0 = never.
WEBFLOW_VERIFY_INTERVAL_MINUTES = env.float("WEBFLOW_VERIFY_INTERVAL_MINUTES", default=60.0)

# --- Workflow ------------------------------------------------------------------------------------------------
# Four-eyes review: even superusers may not approve their own edits unless this is switched on.
STAGING_ALLOW_SELF_APPROVAL = env.bool("STAGING_ALLOW_SELF_APPROVAL", default=False)
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=730)

# --- Imports (django-import-export) --------------------------------------------------------------------------
# An import is all or nothing, and only users who may add draft items (Editors, superusers) may import.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
# Uploaded import files wait here between the check and the import, named by the server, never by the browser.
IMPORT_UPLOAD_DIR = env.path("IMPORT_UPLOAD_DIR", default=BASE_DIR / "var" / "imports")
# Limits that keep one import from holding a web thread or the database for long (README: Importing drafts).
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=10_000_000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=100_000)
IMPORT_MAX_XLSX_UNPACKED_BYTES = env.int("IMPORT_MAX_XLSX_UNPACKED_BYTES", default=50_000_000)
# Files with more rows than this are imported by the worker, with a progress page, instead of in the request.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=100)
# Rows written per transaction by a background import, so SQLite's write lock is held briefly each time.
IMPORT_WRITE_CHUNK_ROWS = env.int("IMPORT_WRITE_CHUNK_ROWS", default=100)
# Uploads never confirmed are deleted by the "import cleanup" schedule once older than this.
IMPORT_UPLOAD_MAX_AGE_HOURS = env.int("IMPORT_UPLOAD_MAX_AGE_HOURS", default=24)

# --- django-q2 -----------------------------------------------------------------------------------------------
# Retries belong to the push task (it reconciles before re-sending), so the broker never re-delivers:
# max_attempts=1, and retry > timeout so a long push is never handed to a second worker mid-flight.
Q_TIMEOUT_SECONDS = env.int("Q_TIMEOUT_SECONDS", default=3600)
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="stagingapp"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT_SECONDS,
    "retry": Q_TIMEOUT_SECONDS + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": env.int("Q_SAVE_LIMIT", default=1000),
    # The default (workers squared) let an early cluster hold tasks its busy workers could not start while
    # another cluster sat idle; recovery re-enqueues a queued batch whose task is held too long anyway.
    "queue_limit": env.int("Q_QUEUE_LIMIT", default=1),
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = env.float("Q_ORM_POLL_SECONDS", default=1.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every record is scrubbed of the Webflow token (and any Bearer value) before a handler writes it.
    "filters": {"redact_token": {"()": "stagingapp.webflow.redaction.RedactTokenFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_token"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes says hello on every start and logs each failure; failures are in the audit history already.
    "loggers": {"axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")}},
}

# --- Admin theme (django-unfold) -----------------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "Webflow content staging",
    "SITE_HEADER": "Webflow content staging",
    "SITE_SUBHEADER": "Drafts, reviews and pushes",
    # The admin is the whole site ("/" redirects to it): a "Return to site" link on the login page led back to it.
    "SITE_URL": None,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_BACK_BUTTON": False,
    "STYLES": [lambda request: static("stagingapp/admin.css")],
    "SCRIPTS": [lambda request: static("stagingapp/csrf_refresh.js"),
                "stagingapp.admin.session.session_guard_script",
                lambda request: static("stagingapp/select_names.js")],
    # Served from our static files: without a declared icon every page's browser asked for /favicon.ico (a 404).
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("stagingapp/favicon.svg")},
    ],
    # Role dashboards on the admin index (templates/admin/index.html).
    "DASHBOARD_CALLBACK": "stagingapp.admin.dashboard.dashboard_callback",
}
