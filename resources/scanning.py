"""Virus scanning through ClamAV's clamd, when CLAMD_ADDRESS is set.

A small client for clamd's INSTREAM command: the file goes over the socket in chunks, each
prefixed with its length as a 4-byte big-endian number, ending with a zero-length chunk;
clamd answers "stream: OK" or "stream: <signature> FOUND". When clamd is set up but cannot
be reached, uploads are refused: a scanner that is down must not wave files through.
"""

import logging
import socket
import struct
from collections.abc import Iterable

from django.conf import settings

from resources.uploads import UploadRejected

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = 60.0
UNAVAILABLE_MESSAGE = (
    "Files cannot be checked for viruses just now, so uploads are paused. "
    "Please try again in a few minutes."
)

TOO_LONG_MESSAGE = (
    "This file is larger than the virus scanner can check, so it has not been saved. "
    "Try a smaller file, or ask the trust's IT team to raise the scanner's limit."
)


class ScannerUnavailable(Exception):
    pass


def clamd_address() -> str:
    return (getattr(settings, "CLAMD_ADDRESS", "") or "").strip()


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("/") or address.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address.removeprefix("unix:"))
        return sock
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    return socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout)


def instream(address: str, chunks: Iterable[bytes], timeout: float = TIMEOUT_SECONDS) -> str:
    """Send the chunks to clamd and return its one-line answer, e.g. "stream: OK"."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK_BYTES):
                    piece = chunk[start : start + CHUNK_BYTES]
                    sock.sendall(struct.pack(">I", len(piece)) + piece)
            sock.sendall(struct.pack(">I", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
    except (OSError, ValueError) as error:
        raise ScannerUnavailable(str(error)) from error
    if not answer:
        raise ScannerUnavailable("clamd closed the connection without answering")
    return answer.rstrip(b"\0").decode("utf-8", "replace").strip()


def scan_upload(uploaded_file) -> None:
    """Refuse the file if clamd finds something in it, or if clamd is set up but down."""
    address = clamd_address()
    if not address:
        return
    uploaded_file.seek(0)
    try:
        answer = instream(address, uploaded_file.chunks(CHUNK_BYTES))
    except ScannerUnavailable as error:
        logger.error("Virus scanner at %s unavailable: %s", address, error)
        raise UploadRejected(UNAVAILABLE_MESSAGE) from error
    finally:
        uploaded_file.seek(0)
    if answer.endswith("FOUND"):
        signature = answer.removeprefix("stream:").removesuffix("FOUND").strip()
        logger.warning("Virus scanner refused an upload: %s", signature)
        raise UploadRejected(
            f"The virus scanner found something harmful in this file ({signature}), "
            "so it has not been saved."
        )
    if "size limit exceeded" in answer:
        # clamd's StreamMaxLength is below RESOURCE_MAX_UPLOAD_BYTES: the operator should
        # raise it, but the file cannot be waved through meanwhile.
        logger.error("Virus scanner refused a file as too long to scan: %s", answer)
        raise UploadRejected(TOO_LONG_MESSAGE)
    if not answer.endswith("OK"):
        # "INSTREAM size limit exceeded. ERROR" and the like: not a clean bill of health.
        logger.error("Virus scanner gave an unexpected answer: %s", answer)
        raise UploadRejected(UNAVAILABLE_MESSAGE)
