from django.db import migrations


def give_every_network_its_forum(apps, schema_editor):
    Forum = apps.get_model("forums", "Forum")
    Network = apps.get_model("networks", "Network")
    for network in Network.objects.filter(forum__isnull=True):
        Forum.objects.create(
            network=network,
            name=network.name,
            slug=f"network-{network.slug}"[:120],
            description=f"Discussion for the {network.name} network.",
            position=100,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("forums", "0002_trust_forums"),
        ("networks", "0002_network_membership"),
    ]

    operations = [migrations.RunPython(give_every_network_its_forum, migrations.RunPython.noop)]
