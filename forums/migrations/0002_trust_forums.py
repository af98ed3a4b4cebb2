from django.db import migrations

TRUST_FORUMS = [
    ("Announcements", "announcements", "News and notices from the central team.", True, False),
    ("Staff voice", "staff-voice", "Say what you think; you may post anonymously.", False, True),
    ("Wellbeing", "wellbeing", "Look after yourself and each other.", False, False),
    ("The shared focus", "shared-focus", "This year's trust-wide focus, from every school.", False, False),
    ("Principles consultation", "principles-consultation", "Shape the trust's principles.", False, False),
]


def add_trust_forums(apps, schema_editor):
    Forum = apps.get_model("forums", "Forum")
    for position, (name, slug, description, central_only, anonymous) in enumerate(TRUST_FORUMS):
        Forum.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "central_team_starts_threads": central_only,
                "allows_anonymous_posts": anonymous,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("forums", "0001_forums_threads_posts")]

    operations = [migrations.RunPython(add_trust_forums, migrations.RunPython.noop)]
