"""The demo trust names its safeguarding leads, so a concern raised while trying Staffroom
reaches someone rather than the 'nobody is named' fallback."""

import pytest

from people.demo import seed_demo_staff
from people.models import School
from safeguarding import selectors
from safeguarding.demo import DSL_JOB_TITLE, seed_demo_leads
from safeguarding.models import SafeguardingLead

pytestmark = pytest.mark.django_db


def test_every_demo_school_has_its_designated_lead_named_once():
    seed_demo_staff()

    first = seed_demo_leads()
    again = seed_demo_leads()

    assert first["leads_named"] == School.objects.count() == 4
    assert again["leads_named"] == 0
    for school in School.objects.all():
        (lead,) = SafeguardingLead.objects.filter(school=school)
        assert lead.role == SafeguardingLead.Role.DESIGNATED
        assert lead.person.school == school and lead.person.job_title == DSL_JOB_TITLE
        assert [person.pk for person in selectors.recipients_for(school.pk)] == [lead.person_id]
