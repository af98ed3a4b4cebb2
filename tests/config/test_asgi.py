import pytest
from django.test import override_settings

from config.asgi import application


@override_settings(RESOURCE_MAX_UPLOAD_BYTES=1024 * 1024)
async def test_the_server_refuses_an_oversized_upload_before_reading_its_body():
    sent: list[dict] = []
    body_reads = 0

    async def receive() -> dict:
        nonlocal body_reads
        body_reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/resources/1/files/add/",
        "raw_path": b"/resources/1/files/add/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(500 * 1024 * 1024).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    await application(scope, receive, send)

    assert sent[0]["status"] == 413
    assert body_reads == 0
    assert b"too large" in b"".join(m.get("body", b"") for m in sent).lower()


pytestmark = pytest.mark.django_db
