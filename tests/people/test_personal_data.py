"""The inventory of personal data names every model that could hold something about a person."""

import re

from django.apps import apps
from django.conf import settings

from people.personal_data import INVENTORY, holding_for

# Text columns that hold a typed email or username without a relation to Person.
EMAIL_COLUMN = re.compile(r"(^|_)(email|username)$")


def _relates_to_person(model) -> bool:
    person = apps.get_model(settings.AUTH_USER_MODEL)
    if model is person:
        return True
    for field in model._meta.get_fields():
        if field.auto_created and not field.concrete:
            continue
        if field.is_relation and field.related_model is person:
            return True
        if not field.is_relation and EMAIL_COLUMN.search(getattr(field, "name", "")):
            return True
    return False


def test_every_model_relating_to_a_person_is_in_the_inventory():
    missing = [
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if _relates_to_person(model) and holding_for(model) is None
    ]
    assert missing == [], (
        "Add these to people.personal_data.INVENTORY: say whether a subject access download "
        f"includes them and what erasing a leaver does with them: {missing}"
    )


def test_the_inventory_names_only_installed_models_and_their_fields():
    for label, holding in INVENTORY.items():
        model = apps.get_model(label)
        names = {f.name for f in model._meta.get_fields()} | {"pk"}
        for path in (*holding.by, *holding.by_email, *holding.leave_out):
            assert path.split("__")[0] in names, f"{label} has no field {path}"
        assert holding.downloaded or holding.why_not_downloaded, f"{label}: say why not"
        assert holding.erasure


def test_the_known_places_without_a_relation_are_listed():
    for label in [
        "sessions.Session",
        "axes.AccessAttempt",
        "axes.AccessLog",
        "axes.AccessFailureLog",
        "people.SignInEvent",
        "search.IndexedRecord",
        "django_tasks_database.DBTaskResult",
    ]:
        assert label in INVENTORY


def test_erasure_deletes_exactly_what_the_inventory_says_it_deletes():
    # "Deleted with ..." rows go by cascade; every other "Deleted" names the field to delete by.
    for label, holding in INVENTORY.items():
        says_deleted = holding.erasure.startswith("Deleted") and not holding.erasure.startswith(
            "Deleted with"
        )
        assert says_deleted == bool(holding.delete_by), label
        if holding.delete_by:
            field = apps.get_model(label)._meta.get_field(holding.delete_by)
            assert field.is_relation or holding.delete_by in holding.by_email, label
