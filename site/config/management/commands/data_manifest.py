"""`manage.py data_manifest`: what Staffroom holds, counted and fingerprinted, to prove a backup.

For every table: its row count and a checksum of its rows that does not depend on their order;
for every stored file (uploads, images, documents): its size and SHA-256. Written as JSON.
Run it before a backup and against the restored copy, then compare:

    manage.py data_manifest --output before.json
    ...restore into a fresh database and media folder...
    manage.py data_manifest --compare before.json

`--compare` lists every table and file that differs and exits with status 1 if any does.
Both sides must be the same kind of database (PostgreSQL to PostgreSQL, say): values are
fingerprinted as the database driver returns them.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

ROWS_PER_FETCH = 2_000
# Row checksums are added up modulo 2**256, so the order rows come back in does not matter.
MODULUS = 2**256


def table_manifest() -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # nosec B608: names come from the database's own catalogue
            rows = total = 0
            while batch := cursor.fetchmany(ROWS_PER_FETCH):
                for row in batch:
                    digest = hashlib.sha256(repr(tuple(_plain(v) for v in row)).encode())
                    total = (total + int.from_bytes(digest.digest(), "big")) % MODULUS
                rows += len(batch)
            tables[table] = {"rows": rows, "checksum": f"{total:064x}"}
    return tables


def _plain(value: Any) -> Any:
    # memoryview (PostgreSQL bytea) has no stable repr.
    return bytes(value) if isinstance(value, memoryview) else value


def file_manifest() -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for name in _walk(""):
        digest = hashlib.sha256()
        size = 0
        with default_storage.open(name, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        files[name] = {"bytes": size, "sha256": digest.hexdigest()}
    return dict(sorted(files.items()))


def _walk(folder: str):
    try:
        folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _walk(f"{folder}/{sub}" if folder else sub)


def differences(expected: dict, actual: dict) -> list[str]:
    found: list[str] = []
    for section, label in (("tables", "table"), ("files", "file")):
        want, have = expected.get(section, {}), actual.get(section, {})
        for name in sorted(set(want) | set(have)):
            if name not in have:
                found.append(f"{label} {name}: missing")
            elif name not in want:
                found.append(f"{label} {name}: not in the manifest")
            elif want[name] != have[name]:
                found.append(f"{label} {name}: {want[name]} before, {have[name]} now")
    return found


class Command(BaseCommand):
    help = "Count and fingerprint every table and stored file, or compare with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="Write the manifest to this file (default: stdout).")
        parser.add_argument("--compare", help="Compare with a manifest written before.")

    def handle(self, *args, output: str | None, compare: str | None, **options) -> None:
        manifest = {
            "database": connection.vendor,
            "tables": table_manifest(),
            "files": file_manifest(),
        }
        if compare:
            try:
                expected = json.loads(Path(compare).read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"Could not read the manifest {compare}: {error}") from error
            found = differences(expected, manifest)
            if found:
                for line in found:
                    self.stderr.write(line)
                raise CommandError(f"{len(found)} differences from {compare}.")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Matches {compare}: {len(manifest['tables'])} tables "
                    f"({sum(t['rows'] for t in manifest['tables'].values()):,} rows) and "
                    f"{len(manifest['files']):,} files."
                )
            )
            return
        text = json.dumps(manifest, indent=1, sort_keys=True)
        if output:
            Path(output).write_text(text)
        else:
            self.stdout.write(text)
