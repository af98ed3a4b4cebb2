from django.db import migrations, models
from django.utils.text import slugify

NATIONAL_CURRICULUM_SUBJECTS = [
    "Art and design",
    "Biology",
    "Chemistry",
    "Citizenship",
    "Computing",
    "Design and technology",
    "Drama",
    "Economics",
    "English",
    "Geography",
    "History",
    "Languages",
    "Mathematics",
    "Music",
    "Physical education",
    "Physics",
    "PSHE and RSE",
    "Psychology",
    "Religious education",
    "Science",
    "Sociology",
]


def add_subjects(apps, schema_editor):
    Subject = apps.get_model("networks", "Subject")
    for name in NATIONAL_CURRICULUM_SUBJECTS:
        Subject.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Subject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=80, unique=True)),
                ("slug", models.SlugField(max_length=80, unique=True)),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.RunPython(add_subjects, migrations.RunPython.noop),
    ]
