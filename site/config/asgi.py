"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Set up Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from people.sockets import SocketSignInMiddleware  # noqa: E402
from resources.uploads import UploadLimitMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Refuses oversized bodies before Django spools them to disk.
        "http": UploadLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            # The session cookie's person, or nobody (an admin's password session counts only
            # once its one-time code is given): people.sockets.
            CookieMiddleware(
                SessionMiddleware(SocketSignInMiddleware(URLRouter(websocket_urlpatterns)))
            )
        ),
    }
)
