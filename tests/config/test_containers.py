"""The Dockerfile and compose file run the Makefile's own targets, so an image and a
developer's machine install and serve Staffroom the same way. No Docker engine runs here,
so these tests read the files."""

import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def makefile_targets() -> set[str]:
    text = (REPOSITORY / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


def test_the_dockerfile_builds_and_serves_through_the_makefile():
    dockerfile = (REPOSITORY / "Dockerfile").read_text()
    targets = makefile_targets()

    used = re.findall(r"\bmake (\w[\w-]*)", dockerfile)
    assert {"install", "static", "serve"} <= set(used)
    assert set(used) <= targets
    assert "pip install" not in dockerfile, "install through `make install`, not by hand"
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.MULTILINE), "runs as non-root"
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile


def test_every_compose_command_is_a_makefile_target():
    compose = (REPOSITORY / "compose.yaml").read_text()

    commands = re.findall(r'command: \["make", "([\w-]+)"\]', compose)
    assert set(commands) == {"migrate", "worker"}
    assert set(commands) <= makefile_targets()
    for service in ("web:", "worker:", "postgres:", "redis:", "elasticsearch:"):
        assert f"\n  {service}" in compose


def test_the_image_copies_every_source_folder_the_package_needs():
    dockerfile = (REPOSITORY / "Dockerfile").read_text()
    pyproject = (REPOSITORY / "pyproject.toml").read_text()

    for folder in ("site", "networks", "resources", "forums", "search", "templates", "vendor"):
        assert f"COPY {folder} ./{folder}" in dockerfile
        if folder not in {"templates", "vendor", "site"}:
            assert f'"{folder}*"' in pyproject


def _size_in_bytes(value: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    if value[-1].upper() in units:
        return int(value[:-1]) * units[value[-1].upper()]
    return int(value)


def test_compose_scans_uploads_with_clamd_that_accepts_our_largest_file(settings):
    compose = (REPOSITORY / "compose.yaml").read_text()
    conf = dict(
        line.split(None, 1)
        for line in (REPOSITORY / "deploy" / "clamd.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )

    assert "\n  clamav:" in compose
    assert "CLAMD_ADDRESS: clamav:3310" in compose
    assert "./deploy/clamd.conf:/etc/clamav/clamd.conf:ro" in compose
    assert conf["TCPSocket"] == "3310" and conf["TCPAddr"] == "0.0.0.0"
    # Smaller, and every upload over clamd's limit would be refused as too large to check.
    assert _size_in_bytes(conf["StreamMaxLength"]) >= settings.RESOURCE_MAX_UPLOAD_BYTES
    assert _size_in_bytes(conf["MaxFileSize"]) >= settings.RESOURCE_MAX_UPLOAD_BYTES
