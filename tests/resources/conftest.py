from collections.abc import Iterator

import pytest

from tests.resources import filemakers

# clamd refuses streams longer than this; small, so a test can go past it cheaply.
CLAMD_STREAM_MAX_BYTES = 4 * 1024 * 1024


def clamd_signature_files() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Whole-file MD5 signatures and body signatures of the project's own signature database."""
    known_bad = {
        "Staffroom.Test.EICAR": filemakers.eicar(),
        "Staffroom.Test.KnownBadWorksheet": filemakers.known_bad_pdf(),
    }
    body = {"Staffroom.Test.EICAR-Body": filemakers.eicar()}
    return known_bad, body


@pytest.fixture(scope="session")
def clamd_server() -> Iterator:
    from tests.services import clamd_server as start

    with start(*clamd_signature_files(), stream_max_bytes=CLAMD_STREAM_MAX_BYTES) as server:
        yield server


@pytest.fixture
def clamd(clamd_server, settings):
    """Uploads scanned by the real clamd for this test."""
    settings.CLAMD_ADDRESS = clamd_server.address
    return clamd_server
