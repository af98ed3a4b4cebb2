"""Downloads go out block by block under ASGI, as under WSGI, never read whole into memory."""

import warnings

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.urls import reverse

from resources.files import file_add
from tests.factories import IDENTITY_PROVIDER_BACKEND, PersonFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def version():
    resource = ResourceFactory()
    return file_add(
        resource=resource, uploaded_file=filemakers.uploaded("pdf"), person=resource.author
    )


async def _signed_in() -> AsyncClient:
    client = AsyncClient()
    person = await sync_to_async(PersonFactory)()
    await client.aforce_login(person, backend=IDENTITY_PROVIDER_BACKEND)
    return client


async def _body(response) -> list[bytes]:
    return [block async for block in response.streaming_content]


async def test_a_download_under_asgi_streams_asynchronously_in_blocks(version):
    client = await _signed_in()
    stored = await sync_to_async(lambda: version.blob.open("rb").read())()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "must consume synchronous iterators" would raise
        response = await client.get(
            reverse("resources:file_download", kwargs={"version_pk": version.pk})
        )
        blocks = await _body(response)

    assert response.status_code == 200
    assert response.is_async
    assert b"".join(blocks) == stored
    assert all(len(block) <= response.block_size for block in blocks)
    assert response["Content-Length"] == str(len(stored))
    assert response["Content-Disposition"].startswith("attachment;")


async def test_my_data_under_asgi_streams_asynchronously():
    client = await _signed_in()

    response = await client.post(reverse("people:my_data"))
    body = b"".join(await _body(response))

    assert response.status_code == 200 and response.is_async
    assert response["Content-Type"] == "application/zip"
    assert body.startswith(b"PK")


def test_under_wsgi_the_same_download_keeps_its_ordinary_iterator(client, version):
    client.force_login(PersonFactory(), backend=IDENTITY_PROVIDER_BACKEND)

    response = client.get(reverse("resources:file_download", kwargs={"version_pk": version.pk}))

    assert response.status_code == 200 and not response.is_async
    assert b"".join(response.streaming_content) == version.blob.open("rb").read()
