from django.db import migrations

# On PostgreSQL the page of hits ranks every match's row of search_indexed_text: with the display
# text beside the tsvectors that table was 218 MB at 100,000 resources (195 MB of rows), more than
# the default shared_buffers, so a common word read most of it from disk cache. The words stay
# in search_indexed_text (id, document, title_words; 100 MB) and the text shown in highlights
# and read by more-like-this moves to search_indexed_display_text, read by id for a page's hits.
# Both tables are written afresh rather than altered: a dropped column keeps its bytes in every
# row until the table is rewritten. SQLite's FTS5 tables are left as they are.
POSTGRES_SPLIT = [
    """
    CREATE TABLE search_indexed_display_text (
        id bigint PRIMARY KEY,
        title text NOT NULL,
        summary text NOT NULL,
        tags text NOT NULL,
        curriculum text NOT NULL,
        body text NOT NULL
    )
    """,
    """
    INSERT INTO search_indexed_display_text (id, title, summary, tags, curriculum, body)
    SELECT id, title, summary, tags, curriculum, body FROM search_indexed_text
    """,
    """
    CREATE TABLE search_indexed_words (
        id bigint PRIMARY KEY,
        document tsvector NOT NULL,
        -- Unstemmed title words for typeahead prefixes.
        title_words tsvector NOT NULL
    )
    """,
    """
    INSERT INTO search_indexed_words (id, document, title_words)
    SELECT id, document, title_words FROM search_indexed_text
    """,
    "DROP TABLE search_indexed_text",
    "ALTER TABLE search_indexed_words RENAME TO search_indexed_text",
    "ALTER INDEX search_indexed_words_pkey RENAME TO search_indexed_text_pkey",
    "CREATE INDEX search_indexed_text_document ON search_indexed_text USING gin (document)",
    "CREATE INDEX search_indexed_text_title ON search_indexed_text USING gin (title_words)",
    "ANALYZE search_indexed_text, search_indexed_display_text",
]
POSTGRES_JOIN = [
    """
    CREATE TABLE search_indexed_joined (
        id bigint PRIMARY KEY,
        title text NOT NULL,
        summary text NOT NULL,
        tags text NOT NULL,
        curriculum text NOT NULL,
        body text NOT NULL,
        document tsvector NOT NULL,
        title_words tsvector NOT NULL
    )
    """,
    """
    INSERT INTO search_indexed_joined
    SELECT w.id, d.title, d.summary, d.tags, d.curriculum, d.body, w.document, w.title_words
    FROM search_indexed_text w JOIN search_indexed_display_text d ON d.id = w.id
    """,
    "DROP TABLE search_indexed_text",
    "DROP TABLE search_indexed_display_text",
    "ALTER TABLE search_indexed_joined RENAME TO search_indexed_text",
    "ALTER INDEX search_indexed_joined_pkey RENAME TO search_indexed_text_pkey",
    "CREATE INDEX search_indexed_text_document ON search_indexed_text USING gin (document)",
    "CREATE INDEX search_indexed_text_title ON search_indexed_text USING gin (title_words)",
]


def split_display_text(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_SPLIT:
            schema_editor.execute(statement)


def join_display_text(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_JOIN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0003_index_state'),
    ]

    operations = [
        migrations.RunPython(split_display_text, join_display_text),
    ]
