"""Swap Wagtail's default welcome page for the trust's HomePage, as the default Site's root."""

from django.db import migrations
from django.utils import timezone

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP = 4


def _next_child_path(root, Page) -> str:
    last = Page.objects.filter(depth=root.depth + 1, path__startswith=root.path).order_by("-path").first()
    if last is None:
        return root.path + "0001"
    number = 0
    for char in last.path[-STEP:]:
        number = number * len(ALPHABET) + ALPHABET.index(char)
    number += 1
    digits = ""
    for _ in range(STEP):
        number, remainder = divmod(number, len(ALPHABET))
        digits = ALPHABET[remainder] + digits
    return root.path + digits


def create_home_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Locale = apps.get_model("wagtailcore", "Locale")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    HomePage = apps.get_model("cms", "HomePage")

    if HomePage.objects.exists():
        return
    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return
    page_type = ContentType.objects.get_for_model(Page)
    welcome = Page.objects.filter(
        depth=2, slug="home", content_type=page_type, numchild=0
    ).first()
    locale = welcome.locale if welcome else Locale.objects.order_by("pk").first()
    if locale is None:
        locale = Locale.objects.create(language_code="en")

    now = timezone.now()
    home = HomePage.objects.create(
        title="Welcome to Staffroom",
        draft_title="Welcome to Staffroom",
        slug="staffroom-home",
        content_type=ContentType.objects.get_for_model(HomePage),
        path=_next_child_path(root, Page),
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        live=True,
        first_published_at=now,
        last_published_at=now,
        intro="<p>The shared staff room of every school in the trust.</p>",
    )

    if welcome is not None:
        Site.objects.filter(root_page_id=welcome.pk).update(root_page_id=home.pk)
        welcome.delete()
    # Sibling pages need distinct slugs; an existing site may already have a "home".
    if not Page.objects.filter(depth=2, slug="home").exists():
        HomePage.objects.filter(pk=home.pk).update(slug="home")
    if not Site.objects.filter(is_default_site=True).exists():
        Site.objects.create(hostname="localhost", port=80, root_page_id=home.pk, is_default_site=True)
    Page.objects.filter(pk=root.pk).update(
        numchild=Page.objects.filter(depth=2, path__startswith=root.path).count()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_pages"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_home_page, migrations.RunPython.noop)]
