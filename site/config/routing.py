"""Websocket routes of every app, gathered in one place."""

from django.urls import path

from config.consumers import PresenceConsumer

websocket_urlpatterns = [
    path("ws/ping/", PresenceConsumer.as_asgi()),
]
