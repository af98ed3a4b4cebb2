"""The demo trust's safeguarding leads: each demo school's designated safeguarding lead (its
member of staff with that job title) named in Staffroom, so a concern raised in the demo reaches
someone. Safe to run again."""

from people.models import School
from safeguarding.models import SafeguardingLead

DSL_JOB_TITLE = "Designated safeguarding lead"


def seed_demo_leads() -> dict:
    named = 0
    for school in School.objects.order_by("pk"):
        lead = school.staff.filter(job_title=DSL_JOB_TITLE, is_active=True).order_by("pk").first()
        if lead is None:
            continue
        _, created = SafeguardingLead.objects.get_or_create(
            person=lead, school=school, defaults={"role": SafeguardingLead.Role.DESIGNATED}
        )
        named += created
    return {"leads_named": named}
