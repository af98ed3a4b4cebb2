"""Checks of the runtime parts for /healthz: database, channel layer and search backend."""

import asyncio
import time
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

CHECK_TIMEOUT_SECONDS = 3.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


async def _round_trip(layer) -> None:
    channel = await layer.new_channel("healthz.")
    message = {"type": "healthz.ping", "token": uuid.uuid4().hex}
    await layer.send(channel, message)
    received = await layer.receive(channel)
    if received.get("token") != message["token"]:
        raise RuntimeError("the channel layer returned another message")


def check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")

    async def round_trip_within_timeout() -> None:
        await asyncio.wait_for(_round_trip(layer), CHECK_TIMEOUT_SECONDS)

    async_to_sync(round_trip_within_timeout)()
    return type(layer).__name__


def check_search() -> str:
    if settings.SEARCH_BACKEND == "elasticsearch":
        from elasticsearch import Elasticsearch

        client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=CHECK_TIMEOUT_SECONDS)
        if not client.ping():
            raise RuntimeError("Elasticsearch did not answer")
        return "elasticsearch"
    check_database()
    return "database"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "search": check_search,
}


def run_checks() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            results[name] = {"status": "ok", "backend": detail}
        except Exception as error:  # a health check reports every failure, whatever it is
            results[name] = {"status": "down", "error": f"{type(error).__name__}: {error}"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(result["status"] == "ok" for result in results.values())
    return healthy, results
