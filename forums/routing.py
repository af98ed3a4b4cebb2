"""Websocket routes of the forums."""

from django.urls import path

from forums.bell import BellConsumer
from forums.consumers import ForumConsumer, ThreadConsumer

websocket_urlpatterns = [
    path("ws/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/forums/<int:forum_id>/", ForumConsumer.as_asgi()),
    path("ws/notifications/", BellConsumer.as_asgi()),
]
