"""Bandit finds nothing of medium or high severity and confidence in Staffroom's own code that
is not explained at its line (`# nosec B608: why`), and every such explanation names the
check it answers and says why."""

import json
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
OUR_CODE = ["site", "networks", "resources", "forums", "search", "bench"]
NOT_OURS = ["*/migrations/*"]
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$", re.IGNORECASE)
EXPLAINED = re.compile(r"^ (B\d{3})( B\d{3})*: \S.{8,}$")


def bandit_findings(*paths: str | Path) -> list[dict]:
    """Bandit's findings of medium or high severity and confidence in `paths`."""
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "--recursive", "--quiet", "--format", "json"]
        + ["--severity-level", "medium", "--confidence-level", "medium"]
        + ["--exclude", ",".join(NOT_OURS), *map(str, paths)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Bandit exits 1 when it finds something; anything else is bandit failing to run.
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    return report["results"]


def described(findings: list[dict]) -> str:
    return "\n".join(
        f"{finding['filename']}:{finding['line_number']} {finding['test_id']} "
        f"({finding['issue_severity'].lower()} severity, "
        f"{finding['issue_confidence'].lower()} confidence): {finding['issue_text']}\n"
        f"    {finding['code'].strip().splitlines()[0] if finding['code'].strip() else ''}"
        for finding in findings
    )


def python_files() -> list[Path]:
    return [
        path
        for folder in OUR_CODE
        for path in (REPOSITORY / folder).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_bandit_finds_nothing_unexplained_in_our_code() -> None:
    findings = bandit_findings(*OUR_CODE)

    assert not findings, (
        "Fix these, or explain each at its line with `# nosec BXXX: why`:\n" + described(findings)
    )


def test_every_nosec_names_its_check_and_says_why() -> None:
    unexplained = [
        f"{path.relative_to(REPOSITORY)}:{number}: {line.strip()}"
        for path in python_files()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if (match := NOSEC.search(line)) and not EXPLAINED.match(match.group("rest"))
    ]

    assert not unexplained, "A nosec needs `# nosec BXXX: why`:\n" + "\n".join(unexplained)


def test_the_scan_reports_what_it_finds(tmp_path: Path) -> None:
    risky = tmp_path / "risky.py"
    risky.write_text(
        "import subprocess\n\n\ndef run(command: str) -> None:\n"
        "    subprocess.call(command, shell=True)\n"
    )

    findings = bandit_findings(risky)

    assert [(finding["test_id"], finding["line_number"]) for finding in findings] == [("B602", 5)]
    assert "risky.py:5 B602 (high severity, high confidence)" in described(findings)


def test_an_explained_finding_is_accepted_and_a_bare_nosec_is_not(tmp_path: Path) -> None:
    explained = tmp_path / "explained.py"
    explained.write_text(
        "import subprocess\n\n\ndef run(command: str) -> None:\n"
        "    subprocess.call(command, shell=True)  # nosec B602: a fixed command\n"
    )

    assert bandit_findings(explained) == []
    assert EXPLAINED.match(" B602: a fixed command")
    assert not EXPLAINED.match("")
    assert not EXPLAINED.match(" B602")
    assert not EXPLAINED.match(": trust me")
