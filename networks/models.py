from django.db import models
from django.utils.text import slugify


class Subject(models.Model):
    """A subject staff teach; the national curriculum subjects to begin with, editable by
    trust admins."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)
