"""Drill: back up Staffroom, restore it into a fresh database and media folder, and prove the
copy is whole: every table's row count and row checksum, and every stored file's SHA-256.

Run from the repository root:

    PYTHONPATH=site:. .venv/bin/python -m drills.backup_restore [--resources 60]

It starts a throwaway PostgreSQL server, migrates, loads the demo trust (with real uploaded
files), writes `manage.py data_manifest`, and then follows the procedure in
docs/operations.md ("Backups") word for word: `pg_dump --format=custom`, a tar archive of the
media folder, `createdb` and `pg_restore` into a new database, the archive unpacked into a new
folder. `data_manifest --compare` must find no difference. Last, it changes one byte of one
restored file and one restored row and checks the comparison notices both (so a pass means
something). Prints one JSON document and exits 1 if anything failed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(
    command: list[str], *, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}{result.stderr[-3000:]}"
        )
    return result


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], env=env, check=check)


def drill(resources: int) -> dict:
    sys.path[:0] = [str(ROOT), str(ROOT / "site")]
    from tests.services import _postgres_bin, postgres_server

    bin_dir = _postgres_bin()
    summary: dict = {"drill": "backup_restore", "resources": resources, "steps": {}}
    with (
        postgres_server() as server,
        tempfile.TemporaryDirectory(prefix="staffroom-backup-") as work,
    ):
        work_dir = Path(work)
        media, restored_media = work_dir / "media", work_dir / "media-restored"
        dump, archive = work_dir / "staffroom.dump", work_dir / "media.tar.gz"
        manifest = work_dir / "before.json"
        connection = ["-h", "127.0.0.1", "-p", str(server.port), "-U", server.user]
        base = {
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'site'}:{ROOT}",
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEMO_RESOURCE_COUNT": str(resources),
            "REDIS_URL": "",
            "ELASTICSEARCH_URL": "",
        }
        live = {**base, "DATABASE_URL": server.url("staffroom"), "MEDIA_ROOT": str(media)}
        copy = {**base, "DATABASE_URL": server.url("restored"), "MEDIA_ROOT": str(restored_media)}

        def step(name: str, action) -> None:
            started = time.monotonic()
            action()
            summary["steps"][name] = round(time.monotonic() - started, 2)

        step("create", lambda: run([str(bin_dir / "createdb"), *connection, "staffroom"], env=base))
        step("migrate", lambda: manage("migrate", "--noinput", env=live))
        step("seed", lambda: manage("seed_demo", env=live))
        step("manifest", lambda: manage("data_manifest", "--output", str(manifest), env=live))
        # The procedure in docs/operations.md.
        step("pg_dump", lambda: run([str(bin_dir / "pg_dump"), "--format=custom", "--file",
                                     str(dump), server.url("staffroom")], env=base))  # fmt: skip
        step("tar", lambda: run(["tar", "-C", str(media), "-czf", str(archive), "."], env=base))
        step(
            "createdb", lambda: run([str(bin_dir / "createdb"), *connection, "restored"], env=base)
        )
        restore = [str(bin_dir / "pg_restore"), "--no-owner", "--exit-on-error"]
        step(
            "pg_restore",
            lambda: run([*restore, "--dbname", server.url("restored"), str(dump)], env=base),
        )
        restored_media.mkdir()
        step(
            "untar", lambda: run(["tar", "-C", str(restored_media), "-xzf", str(archive)], env=base)
        )

        before = json.loads(manifest.read_text())
        summary["tables"] = len(before["tables"])
        summary["rows"] = sum(table["rows"] for table in before["tables"].values())
        summary["files"] = len(before["files"])
        summary["file_bytes"] = sum(file["bytes"] for file in before["files"].values())
        summary["backup_bytes"] = {"database": dump.stat().st_size, "media": archive.stat().st_size}

        compared = manage("data_manifest", "--compare", str(manifest), env=copy, check=False)
        summary["restored_matches"] = compared.returncode == 0
        summary["compare_output"] = (compared.stdout + compared.stderr).strip()[-2000:]

        # The check must be able to fail: change one file and one row of the copy.
        victim = restored_media / sorted(before["files"])[0]
        victim.write_bytes(victim.read_bytes() + b"\0")
        run([str(bin_dir / "psql"), *connection, "-d", "restored", "-c",
             "UPDATE people_school SET name = name || ' (changed)' "
             "WHERE id = (SELECT min(id) FROM people_school)"], env=base)  # fmt: skip
        tampered = manage("data_manifest", "--compare", str(manifest), env=copy, check=False)
        noticed = tampered.stderr
        summary["tampering_noticed"] = (
            tampered.returncode != 0
            and f"file {sorted(before['files'])[0]}:" in noticed
            and "table people_school:" in noticed
        )
    summary["ok"] = (
        summary["restored_matches"] and summary["tampering_noticed"] and summary["files"] > 0
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=60, help="demo resources to load")
    options = parser.parse_args()
    summary = drill(options.resources)
    print(json.dumps(summary, indent=2))
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
