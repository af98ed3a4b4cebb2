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


# The database backend's index (search.backends.database). The words live in a table the
# migration makes per database (SQLite FTS5, PostgreSQL tsvector), keyed by these rows' ids.


class IndexedRecord(models.Model):
    """One searchable record's filter, sort and display fields, as plain columns so that
    filters are column comparisons (and facets count them, held in memory). Never changed in
    place: a change deletes the row and inserts another (search.backends.columns relies on it)."""

    key = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=20)
    object_pk = models.BigIntegerField()
    title = models.TextField()
    url = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True)
    # Seconds since 1970 (0 when unpublished) and the local date as an ordinal: plain numbers
    # that sort and compare the same way on SQLite and PostgreSQL.
    published_ts = models.FloatField(default=0)
    published_day = models.IntegerField(null=True)
    endorsed = models.BooleanField(default=False)
    downloads = models.IntegerField(default=0)
    subject = models.BigIntegerField(null=True)
    resource_type = models.CharField(max_length=30, blank=True)
    school = models.BigIntegerField(null=True)
    network = models.BigIntegerField(null=True)
    shared_focus = models.BooleanField(default=False)
    year_groups = models.CharField(max_length=200, blank=True)
    # Year groups, key stages and phases are small fixed vocabularies: one bit each, so a
    # filter is `bits & wanted <> 0` and a facet counts a few dozen bit patterns.
    year_bits = models.IntegerField(default=0)
    key_stage_bits = models.IntegerField(default=0)
    phase_bits = models.IntegerField(default=0)
    # "staff" in the audience: everyone signed in may see it (most records).
    public = models.BooleanField(default=False)

    class Meta:
        db_table = "search_indexed_record"
        indexes = [
            models.Index(fields=["-published_ts", "key"], name="search_record_newest"),
            models.Index(fields=["kind"], name="search_record_kind"),
        ]

    def __str__(self) -> str:
        return self.key


class IndexedAudience(models.Model):
    """The record's audience tokens other than "staff" ("network:3", "author:9")."""

    record = models.ForeignKey(IndexedRecord, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=40)

    class Meta:
        db_table = "search_indexed_audience"
        indexes = [models.Index(fields=["token", "record"], name="search_audience_token")]

    def __str__(self) -> str:
        return self.token


class IndexedPrinciple(models.Model):
    """A trust principle the record supports: unbounded ids, so a row each."""

    record = models.ForeignKey(IndexedRecord, on_delete=models.CASCADE, related_name="+")
    principle = models.BigIntegerField()

    class Meta:
        db_table = "search_indexed_principle"
        indexes = [models.Index(fields=["principle", "record"], name="search_principle_value")]

    def __str__(self) -> str:
        return str(self.principle)


class IndexState(models.Model):
    """One row: the database index's generation, changed when the whole index is replaced,
    so that each process's in-memory facet columns (search.backends.columns) start again."""

    generation = models.CharField(max_length=32)

    class Meta:
        db_table = "search_index_state"

    def __str__(self) -> str:
        return self.generation


class RemovedRecord(models.Model):
    """A record's id removed from the database index (a changed record is removed and written
    again under a new id), numbered in the order removed: a process holding the ids that match
    a common word (search.backends.matches) drops these from them instead of reading them all
    again. The newest matches.REMOVALS_KEPT are kept."""

    record_id = models.BigIntegerField()

    class Meta:
        db_table = "search_removed_record"

    def __str__(self) -> str:
        return str(self.record_id)
