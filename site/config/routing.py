"""Websocket routes of every app, gathered in one place."""

from django.urls import path

from config.consumers import PresenceConsumer
from forums.routing import websocket_urlpatterns as forum_routes

websocket_urlpatterns = [
    path("ws/ping/", PresenceConsumer.as_asgi()),
    *forum_routes,
]
