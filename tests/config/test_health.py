import pytest
from django.db import connection
from django.test import override_settings

from config import health


@pytest.mark.django_db
def test_healthz_answers_without_sign_in_and_reports_each_part(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["backend"] == connection.vendor
    assert body["checks"]["channel_layer"]["backend"] == "SweepingInMemoryChannelLayer"
    assert body["checks"]["search"]["backend"] == "database"


@pytest.mark.django_db
@override_settings(SEARCH_BACKEND="elasticsearch", ELASTICSEARCH_URL="http://127.0.0.1:9")
def test_healthz_is_503_when_the_search_backend_is_down(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["search"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
)
def test_healthz_is_503_when_the_channel_layer_is_down(client, monkeypatch):
    from channels.layers import channel_layers

    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 1.0)
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()

    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["status"] == "down"


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_reports_a_real_redis_channel_layer(client, redis_server):
    from channels.layers import channel_layers

    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_server.url, "socket_timeout": 30}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            response = client.get("/healthz")
        finally:
            channel_layers.backends.clear()

    assert response.status_code == 200
    assert response.json()["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"
