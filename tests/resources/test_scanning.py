"""The clamd client against a small fake clamd speaking the real INSTREAM protocol: how the
file is chunked, unix sockets, an unreachable scanner. test_clamd.py runs the real clamd."""

import os
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator

import pytest
from django.urls import reverse

from resources.files import file_add
from resources.models import FileVersion
from resources.scanning import UNAVAILABLE_MESSAGE, instream, scan_upload
from resources.uploads import UploadRejected
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory


class FakeClamd(socketserver.StreamRequestHandler):
    """Reads `zINSTREAM\\0`, then length-prefixed chunks up to a zero length; answers like
    clamd: `stream: OK` or `stream: Eicar-Signature FOUND`, NUL-terminated."""

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            command += self.rfile.read(1)
        if command != b"zINSTREAM\0":
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        received = b""
        while True:
            (length,) = struct.unpack(">I", self.rfile.read(4))
            if length == 0:
                break
            self.server.chunk_sizes.append(length)
            received += self.rfile.read(length)
        if filemakers.EICAR in received:
            self.wfile.write(b"stream: Eicar-Signature FOUND\0")
        else:
            self.wfile.write(b"stream: OK\0")


class FakeClamdServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.chunk_sizes: list[int] = []


class FakeClamdUnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.chunk_sizes: list[int] = []


@pytest.fixture
def fake_clamd(settings) -> Iterator[FakeClamdServer]:
    server = FakeClamdServer(("127.0.0.1", 0), FakeClamd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    settings.CLAMD_ADDRESS = f"{host}:{port}"
    yield server
    server.shutdown()
    server.server_close()


def test_a_clean_file_passes_the_scan(fake_clamd):
    scan_upload(filemakers.uploaded("pdf"))


def test_the_eicar_test_file_is_refused_naming_what_was_found(fake_clamd):
    with pytest.raises(UploadRejected, match=r"found something harmful.*Eicar-Signature"):
        scan_upload(filemakers.uploaded("pdf", content=filemakers.eicar()))


def test_large_files_are_sent_in_chunks(fake_clamd):
    upload = filemakers.uploaded("pdf", content=b"%PDF-" + b"0" * 300_000)

    scan_upload(upload)

    assert len(fake_clamd.chunk_sizes) >= 5
    assert max(fake_clamd.chunk_sizes) <= 64 * 1024
    assert upload.tell() == 0


def test_a_scanner_that_is_set_up_but_down_refuses_uploads(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CLAMD_ADDRESS = f"127.0.0.1:{port}"

    with pytest.raises(UploadRejected) as refused:
        scan_upload(filemakers.uploaded("pdf"))
    assert refused.value.message == UNAVAILABLE_MESSAGE


def test_nothing_is_scanned_when_no_scanner_is_set_up(settings):
    settings.CLAMD_ADDRESS = ""

    scan_upload(filemakers.uploaded("pdf", content=filemakers.eicar()))


def test_clamd_on_a_unix_socket_is_reached_by_its_path(tmp_path):
    path = str(tmp_path / "clamd.sock")
    server = FakeClamdUnixServer(path, FakeClamd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert instream(path, [filemakers.eicar()]) == "stream: Eicar-Signature FOUND"
        assert instream(f"unix:{path}", [b"harmless"]) == "stream: OK"
    finally:
        server.shutdown()
        server.server_close()
        os.unlink(path)


def test_an_infected_upload_is_refused_and_nothing_is_saved(
    fake_clamd, primary_teacher, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    resource = ResourceFactory(author=primary_teacher)
    infected = filemakers.make("pdf") + filemakers.eicar()

    with pytest.raises(UploadRejected, match="Eicar-Signature"):
        file_add(
            resource=resource,
            uploaded_file=filemakers.uploaded("pdf", content=infected),
            person=primary_teacher,
        )

    assert not FileVersion.objects.exists()
    assert not (tmp_path / "media").exists()


def test_when_the_scanner_is_down_the_upload_page_says_so(
    settings, staff_client, primary_teacher, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLAMD_ADDRESS = str(tmp_path / "no-clamd-here.sock")
    resource = ResourceFactory(author=primary_teacher)

    response = staff_client.post(
        reverse("resources:file_upload", kwargs={"pk": resource.pk}),
        {"file": filemakers.uploaded("pdf"), "title": ""},
    )

    assert response.status_code == 400
    assert "cannot be checked for viruses just now" in response.content.decode()
    assert not FileVersion.objects.exists()
