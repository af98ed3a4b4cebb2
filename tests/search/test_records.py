"""The records a reindex builds: every resource's tags, principles and file text, read in a
fixed number of queries however many resources there are."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from resources.files import file_add
from resources.models import FileVersion, Resource
from search.records import indexed_resources, resource_record
from tests.cms.factories import PrincipleIndexPageFactory, PrinciplePageFactory
from tests.resources import filemakers
from tests.resources.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def _resources(count: int, principle) -> list[Resource]:
    made = []
    for number in range(count):
        resource = ResourceFactory(title=f"Fractions {number}")
        resource.tags.add("mastery", f"set {number}")
        resource.principles.add(principle)
        file_add(
            resource=resource,
            uploaded_file=SimpleUploadedFile(
                f"wall-{number}.docx", filemakers.docx(f"equivalent fractions wall {number}")
            ),
            person=resource.author,
        )
        # Text extraction runs after commit, which these tests do not reach.
        FileVersion.objects.filter(file__resource=resource).update(
            extracted_text=f"equivalent fractions wall {number}"
        )
        made.append(resource)
    return made


def _records_and_queries() -> tuple[list, int]:
    with CaptureQueriesContext(connection) as queries:
        records = [resource_record(resource) for resource in indexed_resources()]
    return records, len(queries)


def test_records_hold_every_tag_principle_and_file_text_in_a_fixed_number_of_queries():
    principle = PrinciplePageFactory(parent=PrincipleIndexPageFactory(), title="Inclusion")
    _resources(2, principle)
    _, few = _records_and_queries()
    made = _resources(6, principle)

    records, many = _records_and_queries()

    assert many == few
    by_pk = {record.pk: record for record in records}
    for number, resource in enumerate(made):
        record = by_pk[resource.pk]
        assert set(record.tags) == {"mastery", f"set {number}"}
        assert record.principles == (principle.pk,)
        assert f"equivalent fractions wall {number}" in record.body


def test_a_resource_read_on_its_own_gives_the_same_record():
    principle = PrinciplePageFactory(parent=PrincipleIndexPageFactory(), title="Equity")
    (resource,) = _resources(1, principle)

    prefetched = next(iter(indexed_resources()))

    assert resource_record(Resource.objects.get(pk=resource.pk)) == resource_record(prefetched)
