import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Serve static files straight from the finders: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The demo trust in tests: every network and map, fewer files.
DEMO_RESOURCE_COUNT = 60
# Uploaded files go to a throwaway folder, never the developer's media/, removed when the
# process ends (each test run and server left one behind in /tmp before).
_media = tempfile.TemporaryDirectory(prefix="staffroom-test-media-")
MEDIA_ROOT = Path(_media.name)
