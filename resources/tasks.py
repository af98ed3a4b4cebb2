"""Background work for resources. With the default immediate backend these run at once."""

from django_tasks import task

from resources import extraction


@task()
def extract_file_text(version_pk: int) -> str:
    return extraction.extract_version(version_pk)
