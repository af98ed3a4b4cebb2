"""`manage.py data_manifest`: row counts and checksums of every table and hashes of every
stored file, and a comparison that names what differs."""

import hashlib
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from people.models import School
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def manifest(tmp_path) -> tuple[dict, str]:
    path = tmp_path / "before.json"
    call_command("data_manifest", "--output", str(path))
    return json.loads(path.read_text()), str(path)


def compare(path: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("data_manifest", "--compare", path, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_counts_rows_and_hashes_files(tmp_path):
    SchoolFactory.create_batch(3)
    default_storage.save("resources/a/lesson.pdf", ContentFile(b"%PDF-1.7 fractions"))

    data, _ = manifest(tmp_path)

    assert data["tables"]["people_school"]["rows"] == School.objects.count()
    assert data["files"]["resources/a/lesson.pdf"] == {
        "bytes": 18,
        "sha256": hashlib.sha256(b"%PDF-1.7 fractions").hexdigest(),
    }


def test_an_unchanged_copy_matches(tmp_path):
    SchoolFactory.create_batch(2)
    default_storage.save("images/logo.png", ContentFile(b"\x89PNG logo"))
    _, path = manifest(tmp_path)

    out, _ = compare(path)

    assert "Matches" in out and "1 files" in out


def test_the_order_of_rows_does_not_matter_but_their_values_do(tmp_path):
    first, second = SchoolFactory(name="Oakfield Primary"), SchoolFactory(name="Riverside")
    _, path = manifest(tmp_path)
    # Swapping two values leaves the counts alone but changes the rows.
    first.name, second.name = "Riverside", "Oakfield Primary"
    School.objects.bulk_update([first, second], ["name"])

    with pytest.raises(CommandError, match="1 differences"):
        compare(path)


def test_a_changed_missing_or_extra_file_is_named(tmp_path):
    default_storage.save("resources/a/one.pdf", ContentFile(b"one"))
    default_storage.save("resources/a/two.pdf", ContentFile(b"two"))
    _, path = manifest(tmp_path)
    default_storage.delete("resources/a/one.pdf")
    with default_storage.open("resources/a/two.pdf", "wb") as handle:
        handle.write(b"TWO")
    default_storage.save("resources/a/three.pdf", ContentFile(b"three"))

    err = io.StringIO()
    with pytest.raises(CommandError, match="3 differences"):
        call_command("data_manifest", "--compare", path, stdout=io.StringIO(), stderr=err)
    lines = err.getvalue()
    assert "file resources/a/one.pdf: missing" in lines
    assert "file resources/a/two.pdf:" in lines
    assert "file resources/a/three.pdf: not in the manifest" in lines


def test_an_unreadable_manifest_is_refused_clearly(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="Could not read the manifest"):
        compare(str(broken))
    with pytest.raises(CommandError, match="Could not read the manifest"):
        compare(str(tmp_path / "absent.json"))
