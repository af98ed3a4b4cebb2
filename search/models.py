from django.db import models


class PendingIndexUpdate(models.Model):
    """A change not yet sent to Elasticsearch: queued on commit, removed once sent. While
    Elasticsearch is down these wait here and are replayed when it returns, so nothing is lost."""

    class Action(models.TextChoices):
        INDEX = "index", "Index"
        DELETE = "delete", "Delete"

    # "resource:42", "thread:7", "news:12"…: the record's key (search.records.SearchRecord.key).
    key = models.CharField(max_length=40)
    action = models.CharField(max_length=10, choices=Action.choices)
    queued_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["key"], name="pending_index_key")]

    def __str__(self) -> str:
        return f"{self.action} {self.key}"
