"""Safeguarding leads for tests: a school's designated lead, its deputy, the trust's lead."""

import factory

from safeguarding.models import SafeguardingLead
from tests.factories import PersonFactory


class SafeguardingLeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SafeguardingLead

    person = factory.SubFactory(PersonFactory)
    role = SafeguardingLead.Role.DESIGNATED
    school = factory.LazyAttribute(lambda lead: lead.person.school)


def designated_lead(school, **person_fields):
    person = PersonFactory(school=school, job_title="Designated safeguarding lead", **person_fields)
    SafeguardingLeadFactory(person=person, school=school)
    return person


def deputy_lead(school):
    person = PersonFactory(school=school, job_title="Deputy headteacher")
    SafeguardingLeadFactory(person=person, school=school, role=SafeguardingLead.Role.DEPUTY)
    return person


def trust_lead():
    person = PersonFactory(school=None, job_title="Trust safeguarding lead")
    SafeguardingLeadFactory(person=person, school=None, role=SafeguardingLead.Role.TRUST)
    return person
