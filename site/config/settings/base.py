"""Settings shared by every mode. Everything that differs between installations comes
from the environment, so production needs no edited files."""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

SITE_ROOT = Path(__file__).resolve().parents[2]  # the `site/` source root
BASE_DIR = SITE_ROOT.parent  # the repository

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
# Keys from before the last rotation, still accepted for what they signed (sessions, emailed
# unsubscribe links) but never used to sign: docs/operations.md, "Rotating the secret key".
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

TRUST_NAME = env("TRUST_NAME", default="Staffroom")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "channels",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "csp",
    "audit",
    "people",
    "cms",
    "networks",
    "resources",
    "forums",
    "search",
    "safeguarding",
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Next, so that every response gets the headers, even WhiteNoise's and the redirects.
    "config.security.ContentSecurityPolicyMiddleware",
    "config.security.PermissionsPolicyMiddleware",
    "config.security.RefuseNulInPathMiddleware",
    "resources.user_content.UserContentHostMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.AuditContextMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Admins who signed in with a password pass a one-time code before anything else.
    "people.two_step.TwoStepMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# Security headers (config.security). Django's defaults say the same, but every environment
# should visibly send these, not rely on defaults that may change.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Images and media from object storage, when files live there (a bucket's or CDN's origin,
# e.g. https://staffroom-media.s3.eu-west-2.amazonaws.com).
STAFFROOM_CSP_MEDIA_ORIGINS = env.list("STAFFROOM_CSP_MEDIA_ORIGINS", default=[])
# Identity providers whose sign-in page is on another origin than their server_url.
STAFFROOM_CSP_IDENTITY_PROVIDER_ORIGINS = env.list(
    "STAFFROOM_CSP_IDENTITY_PROVIDER_ORIGINS", default=[]
)
# Staffroom's own pages: scripts and styles from our static files only; no inline script, no
# eval, no inline style, no plugins, never framed. Data for scripts travels in json_script
# blocks or data- attributes, which are not executed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, *STAFFROOM_CSP_MEDIA_ORIGINS],
        "media-src": [SELF, *STAFFROOM_CSP_MEDIA_ORIGINS],
        "font-src": [SELF],
        # Plus this host's ws(s) origin, per request (config.security).
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Plus the identity providers' origins on the sign-in page (config.security).
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The Wagtail admin and Django's admin ship their own scripts and styles, which we do not edit;
# under their prefixes a policy of their own replaces the site's (config.security).
_ADMIN_CSP_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    # Wagtail's image choosers and previews show thumbnails as data: URLs.
    "img-src": [SELF, "data:", *STAFFROOM_CSP_MEDIA_ORIGINS],
    # Wagtail's live preview frames the page being edited, from the same origin.
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
}
STAFFROOM_ADMIN_CSP = {
    # Measured in chromium (tests/e2e/test_csp.py): Wagtail 8's page editor inserts inline
    # <script> and <style> elements through its bundled jQuery (wagtailadmin/js/vendor.js)
    # whose content varies, so neither hashes nor nonces can name them. Only the Wagtail admin,
    # used by the central team alone, gets 'unsafe-inline'; still no eval, no other origin.
    "/admin/": {
        **_ADMIN_CSP_DIRECTIVES,
        "script-src": [SELF, UNSAFE_INLINE],
        "style-src": [SELF, UNSAFE_INLINE],
    },
    # Django's admin 5.2 runs under the site's script and style rules unchanged.
    "/django-admin/": _ADMIN_CSP_DIRECTIVES,
}
# The views whose forms post to the identity providers' sign-in (the buttons on the sign-in
# page, and allauth's confirmation page should someone open the sign-in link directly).
STAFFROOM_CSP_SIGN_IN_VIEWS = ["people:sign_in", "openid_connect_login"]
# Browser features no Staffroom page uses, switched off for every page (Permissions-Policy).
# Only features chromium knows: it logs an error for each unknown one (bluetooth,
# interest-cohort).
STAFFROOM_PERMISSIONS_POLICY_OFF = [
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "config.context_processors.navigation",
            ],
            "libraries": {"form_fields": "config.templatetags.form_fields"},
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'staffroom.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=True
):
    # Under ASGI every request in flight runs in its own thread with its own connection:
    # without a pool each request paid for a new connection, and an overloaded pair of
    # workers went past PostgreSQL's 100 and answered 500 (bench/mixed.py). A pool per
    # process reuses connections and makes the excess wait for one instead.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "pool",
        {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=30),
        },
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections instead
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing: with SQLite's default deferred
    # transactions, two replies saved at once (one thread each under ASGI) gave
    # "database is locked" (docs/benchmarks.md, "Live fan-out").
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Live updates: Redis in production, an in-memory layer (one process) otherwise.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's 5 s socket timeout equals Channels' 5 s blocking read, and
                # idle consumers then crash with "Timeout reading"; give it room.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "config.layers.SweepingInMemoryChannelLayer"}}

# Search: Elasticsearch when configured, the embedded database backend otherwise.
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="")
SEARCH_BACKEND = "elasticsearch" if ELASTICSEARCH_URL else "database"

# Background tasks: run at once by default; a database queue with `manage.py db_worker`
# when TASKS_BACKEND=database (production).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if env("TASKS_BACKEND", default="immediate") == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
    }
}

AUTH_USER_MODEL = "people.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, obeying STAFFROOM_LOCAL_SIGN_IN.
    "people.backends.PasswordBackend",
    # Names sessions opened by the trust's identity provider (people.adapters); checks nothing.
    # After the password backend, so a session made without naming one counts as a password's.
    "people.backends.IdentityProviderBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "people:sign_in"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "people:sign_in"


# Signing in with the trust's Microsoft Entra ID or Google Workspace accounts, through
# allauth's generic OpenID Connect provider (docs/security.md, "Signing in").
# One app per identity provider; each carries the trust's tenant ids or hosted domains, which
# people.adapters checks on every sign-in. Apps may also be added as SocialApp rows in the
# Django admin, with the same keys in their settings.
def _oidc_apps() -> list[dict]:
    apps = []
    entra_tenants = env.list("STAFFROOM_OIDC_ENTRA_TENANT_IDS", default=[])
    if env("STAFFROOM_OIDC_ENTRA_CLIENT_ID", default="") and entra_tenants:
        apps.append(
            {
                "provider_id": "entra",
                "name": "Microsoft",
                "client_id": env("STAFFROOM_OIDC_ENTRA_CLIENT_ID"),
                "secret": env("STAFFROOM_OIDC_ENTRA_CLIENT_SECRET", default=""),
                "settings": {
                    "kind": "entra",
                    "server_url": env(
                        "STAFFROOM_OIDC_ENTRA_SERVER_URL",
                        default=f"https://login.microsoftonline.com/{entra_tenants[0]}/v2.0",
                    ),
                    "tenant_ids": entra_tenants,
                    "oauth_pkce_enabled": True,
                },
            }
        )
    google_domains = env.list("STAFFROOM_OIDC_GOOGLE_HOSTED_DOMAINS", default=[])
    if env("STAFFROOM_OIDC_GOOGLE_CLIENT_ID", default="") and google_domains:
        apps.append(
            {
                "provider_id": "google",
                "name": "Google",
                "client_id": env("STAFFROOM_OIDC_GOOGLE_CLIENT_ID"),
                "secret": env("STAFFROOM_OIDC_GOOGLE_CLIENT_SECRET", default=""),
                "settings": {
                    "kind": "google",
                    "server_url": env(
                        "STAFFROOM_OIDC_GOOGLE_SERVER_URL", default="https://accounts.google.com"
                    ),
                    "hosted_domains": google_domains,
                    # Google also reads the secret from the form body (as its emulator must).
                    "token_auth_method": "client_secret_post",
                    "oauth_pkce_enabled": True,
                    # Only a hint to Google's account picker; the hd claim is what is checked.
                    "auth_params": {"hd": google_domains[0]} if len(google_domains) == 1 else {},
                },
            }
        )
    return apps


SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": _oidc_apps()}}
SOCIALACCOUNT_ADAPTER = "people.adapters.StaffSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in buttons POST, with CSRF
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # people.adapters links by email itself
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
# Home schools inferred from staff email domains: "oakfield.example=140001,riverside.example=
# 145001" (domain=URN). A person whose domain is not listed is asked once.
STAFFROOM_SCHOOL_EMAIL_DOMAINS = env.dict("STAFFROOM_SCHOOL_EMAIL_DOMAINS", default={})
# Password sign-in: "on" for everyone, or "admins-only" (the trust admins named below, for
# break-glass access while the identity provider is down).
STAFFROOM_LOCAL_SIGN_IN = env("STAFFROOM_LOCAL_SIGN_IN", default="on")
STAFFROOM_LOCAL_SIGN_IN_ADMINS = [
    email.lower() for email in env.list("STAFFROOM_LOCAL_SIGN_IN_ADMINS", default=[])
]

# The one-time codes admins who sign in with a password give next (people.two_step, which
# counts wrong codes itself: 5, then a 15-minute pause, rather than django-otp's doubling delays).
OTP_TOTP_ISSUER = TRUST_NAME
OTP_TOTP_THROTTLE_FACTOR = 0
# Django's admin lists the devices but never shows their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Failed sign-ins: lock an account after a few tries for a while.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
# Per account from any address: the sixth attempt at an account is blocked wherever it comes
# from. Not per address, which would lock out a whole school behind one NAT address (W006).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# A fixed 30 minutes from the lockout: attempts while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "vendor", BASE_DIR / "templates" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Media on S3-compatible storage when a bucket is named, the local folder otherwise.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "django.core.files.storage.FileSystemStorage",
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_QUERYSTRING_AUTH = True
    AWS_DEFAULT_ACL = None

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587 (console in development).
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Staffroom <staffroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Curriculum resources: the largest file staff may upload, and ClamAV's clamd
# ("host:port" or a unix socket path) when uploads are to be scanned.
RESOURCE_MAX_UPLOAD_BYTES = env.int("RESOURCE_MAX_UPLOAD_BYTES", default=100 * 1024 * 1024)
CLAMD_ADDRESS = env("CLAMD_ADDRESS", default="")
# Uploaded files served from their own origin (e.g. https://files.trust-staffroom.example),
# a second name for this same app: see resources/user_content.py.
STAFFROOM_USER_CONTENT_ORIGIN = env("STAFFROOM_USER_CONTENT_ORIGIN", default="").rstrip("/")
if STAFFROOM_USER_CONTENT_ORIGIN:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, urlsplit(STAFFROOM_USER_CONTENT_ORIGIN).hostname]
# How many resources `seed_demo` writes, each with a real file.
DEMO_RESOURCE_COUNT = env.int("DEMO_RESOURCE_COUNT", default=2000)

# Uploads larger than this spool to disk rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

WAGTAIL_SITE_NAME = TRUST_NAME
WAGTAILADMIN_BASE_URL = env("BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
# No Gravatar pictures in the Wagtail admin: they would send a hash of each admin's email to a
# third party, and the admin's Content-Security-Policy allows images from us alone.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "pptx", "xlsx", "odt", "odp", "ods", "txt", "csv"]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # Refused and failed sign-ins through the identity providers (people.adapters).
        "people.sign_in": {"level": "INFO"},
    },
}

# The Wagtail admin signs in through the same page as everyone else.
WAGTAILADMIN_LOGIN_URL = "/people/sign-in/"
