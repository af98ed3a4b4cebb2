"""Factories and the named personas every test shares."""

import factory
from django.contrib.auth.models import Group

from networks.models import Subject
from people.backends import IDENTITY_PROVIDER_BACKEND
from people.models import Person, School
from people.roles import Role

PASSWORD = "correct horse battery staple"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("urn",)

    name = factory.Sequence(lambda n: f"Oakfield Primary {n}")
    urn = factory.Sequence(lambda n: f"{140000 + n:06d}")
    phase = School.Phase.PRIMARY
    lowest_age = 4
    highest_age = 11
    local_authority = "Kent"
    headteacher = "Ms A. Shah"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@oakfield.example")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    job_title = "Class teacher"
    school = factory.SubFactory(SchoolFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs) -> None:
        self.save()
        for role in [Role.STAFF, *(extracted or [])]:
            self.groups.add(Group.objects.get_or_create(name=role.value)[0])

    @factory.post_generation
    def subjects(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        for name in extracted or []:
            self.subjects_taught.add(Subject.objects.get_or_create(name=name)[0])


def primary_teacher() -> Person:
    return PersonFactory(
        email="priya.patel@oakfield.example",
        first_name="Priya",
        last_name="Patel",
        job_title="Year 4 teacher",
        phases=["primary"],
        subjects=["Mathematics", "English"],
    )


def secondary_maths_lead() -> Person:
    school = SchoolFactory(
        name="Riverside Academy",
        urn="145001",
        phase=School.Phase.SECONDARY,
        lowest_age=11,
        highest_age=18,
    )
    return PersonFactory(
        email="tom.okafor@riverside.example",
        first_name="Tom",
        last_name="Okafor",
        job_title="Head of mathematics",
        school=school,
        phases=["secondary", "post16"],
        subjects=["Mathematics"],
        roles=[Role.NETWORK_LEAD],
    )


def moderator() -> Person:
    return PersonFactory(
        email="dee.moss@oakfield.example",
        first_name="Dee",
        last_name="Moss",
        job_title="Designated safeguarding lead",
        roles=[Role.MODERATOR],
    )


def central_team_editor() -> Person:
    return PersonFactory(
        email="sam.reid@trust.example",
        first_name="Sam",
        last_name="Reid",
        job_title="Communications lead",
        school=None,
        roles=[Role.CENTRAL_TEAM],
    )


def trust_admin() -> Person:
    return PersonFactory(
        email="alex.ng@trust.example",
        first_name="Alex",
        last_name="Ng",
        job_title="Trust data manager",
        school=None,
        roles=[Role.TRUST_ADMIN],
    )


def sign_in_with_identity_provider(client, person: Person) -> None:
    """Sign a persona in as staff usually do, through the trust's identity provider, whose
    sessions are never asked for a one-time code. Password sign-in and its code step are
    tested in tests/people/test_two_step.py."""
    client.force_login(person, backend=IDENTITY_PROVIDER_BACKEND)
