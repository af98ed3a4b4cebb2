"""Reading the text out of uploaded documents, for search and for the resource page.

Parsers of untrusted documents can be made to run for ever or eat all memory, so each parse
runs in a child process (`python -m resources.extraction`) with a wall-clock deadline and an
address-space limit: a child can be killed cleanly, a thread cannot. Zip-based formats are
measured first (total unpacked size and compression ratio) so a decompression bomb is never
opened by a parser at all. Whatever happens, the file stays saved; only its text is missing.
"""

import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

ZIP_KINDS = {"docx", "pptx", "xlsx", "odt", "odp", "ods"}
TEXT_KINDS = ZIP_KINDS | {"pdf"}
LEGACY_OFFICE_KINDS = {"doc", "ppt", "xls"}


@dataclass(frozen=True)
class Limits:
    max_pages: int = 500  # PDF pages
    max_slides: int = 500
    max_sheets: int = 50
    max_rows: int = 20_000  # per sheet
    max_chars: int = 500_000
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_members: int = 10_000  # files inside a zip-based document; real ones hold dozens
    max_ratio: int = 100  # unpacked size over packed size, for archives over 10 MB unpacked
    timeout_seconds: float = 60.0
    memory_bytes: int = 1024 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> "Limits":
        from django.conf import settings

        overrides = getattr(settings, "RESOURCE_EXTRACTION_LIMITS", {}) or {}
        return cls(**overrides)


class ExtractionFailed(Exception):
    """The text could not be read; the message is shown on the resource page."""


@dataclass(frozen=True)
class Outcome:
    status: str  # a FileVersion.Extraction value
    text: str = ""
    notice: str = ""


END_RECORD = struct.Struct("<4s4H2LH")  # end of central directory
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
SMALLEST_DIRECTORY_ENTRY = 46


def _tail(source: "IO[bytes]", size: int, at: int, length: int) -> bytes:
    source.seek(max(0, at))
    return source.read(min(length, size - max(0, at)))


def zip_member_count(source: "str | Path | IO[bytes]") -> int:
    """An upper bound on the files in a zip, read from its end record alone.

    zipfile.ZipFile builds an object per directory entry before anyone can look at them, so a
    zip listing millions of empty files costs gigabytes just to open. The end record says how
    many entries there are and how many bytes the directory takes (each entry at least 46).
    """
    if isinstance(source, (str, Path)):
        with open(source, "rb") as opened:
            return zip_member_count(opened)
    position = source.tell()
    try:
        source.seek(0, os.SEEK_END)
        size = source.tell()
        tail_start = size - END_RECORD.size - 0xFFFF
        tail = _tail(source, size, tail_start, END_RECORD.size + 0xFFFF)
        found = tail.rfind(b"PK\x05\x06")
        if found < 0 or len(tail) - found < END_RECORD.size:
            raise ExtractionFailed("The file is damaged: it could not be opened.")
        _, _, _, _, entries, directory_bytes, _, _ = END_RECORD.unpack_from(tail, found)
        end_at = max(0, tail_start) + found
        if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
            locator = _tail(source, size, end_at - ZIP64_LOCATOR.size, ZIP64_LOCATOR.size)
            if len(locator) == ZIP64_LOCATOR.size and locator.startswith(b"PK\x06\x07"):
                record_at = ZIP64_LOCATOR.unpack(locator)[2]
                record = _tail(source, size, record_at, ZIP64_END_RECORD.size)
                if len(record) == ZIP64_END_RECORD.size and record.startswith(b"PK\x06\x06"):
                    fields = ZIP64_END_RECORD.unpack(record)
                    entries, directory_bytes = fields[7], fields[8]
        return max(entries, directory_bytes // SMALLEST_DIRECTORY_ENTRY)
    finally:
        source.seek(position)


def check_member_count(source: "str | Path | IO[bytes]", limits: Limits) -> None:
    if zip_member_count(source) > limits.max_members:
        raise ExtractionFailed(
            f"The file holds more than {limits.max_members:,} files inside it, far more than a "
            "real document does, so it was not opened."
        )


def check_archive(path: "str | Path | IO[bytes]", limits: Limits) -> None:
    """Refuse zip-based files that would unpack to far more than they should, or that list
    so many files that merely opening them would exhaust memory."""
    check_member_count(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    # NotImplementedError: a directory claiming the zip spans several disks.
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
        raise ExtractionFailed("The file is damaged: it could not be opened.") from error
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if unpacked > limits.max_unpacked_bytes:
        raise ExtractionFailed(
            f"The file unpacks to {unpacked // (1024 * 1024)} MB, more than the "
            f"{limits.max_unpacked_bytes // (1024 * 1024)} MB that Staffroom reads."
        )
    if unpacked > 10 * 1024 * 1024 and unpacked / packed > limits.max_ratio:
        raise ExtractionFailed(
            "The file unpacks to far more than its size, as a decompression bomb does, "
            "so it was not opened."
        )


class _Collector:
    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.max_chars = max_chars

    @property
    def full(self) -> bool:
        return self.length >= self.max_chars

    def add(self, text: str | None) -> None:
        text = (text or "").strip()
        if text and not self.full:
            text = text[: self.max_chars - self.length]
            self.parts.append(text)
            self.length += len(text) + 1

    def text(self) -> str:
        return "\n".join(self.parts)


def _pdf(path: str, limits: Limits, out: _Collector) -> None:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ExtractionFailed("The PDF is protected with a password.")
    for number, page in enumerate(reader.pages):
        if number >= limits.max_pages or out.full:
            break
        out.add(page.extract_text())


def _docx(path: str, limits: Limits, out: _Collector) -> None:
    import docx

    document = docx.Document(path)
    for paragraph in document.paragraphs:
        out.add(paragraph.text)
        if out.full:
            return
    for table in document.tables:
        for row in table.rows:
            out.add(" ".join(cell.text for cell in row.cells))


def _pptx(path: str, limits: Limits, out: _Collector) -> None:
    from pptx import Presentation

    for number, slide in enumerate(Presentation(path).slides):
        if number >= limits.max_slides or out.full:
            break
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.add(shape.text_frame.text)
            elif getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    out.add(" ".join(cell.text for cell in row.cells))


def _xlsx(path: str, limits: Limits, out: _Collector) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets[: limits.max_sheets]:
            out.add(sheet.title)
            for row in sheet.iter_rows(max_row=limits.max_rows, values_only=True):
                out.add(" ".join(str(value) for value in row if value is not None))
                if out.full:
                    return
    finally:
        workbook.close()


def _odf(path: str, limits: Limits, out: _Collector) -> None:
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    document = load(path)

    def walk(node) -> None:
        for child in node.childNodes:
            if out.full:
                return
            if getattr(child, "qname", None) in ((TEXTNS, "p"), (TEXTNS, "h")):
                out.add(teletype.extractText(child))
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)

    walk(document.body)


PARSERS = {"pdf": _pdf, "docx": _docx, "pptx": _pptx, "xlsx": _xlsx}
PARSERS.update(dict.fromkeys(("odt", "odp", "ods"), _odf))


def parse(path: str, kind: str, limits: Limits) -> str:
    """Parse in this process. Only the child process calls this on uploaded files."""
    if kind in ZIP_KINDS:
        check_archive(path, limits)
    out = _Collector(limits.max_chars)
    PARSERS[kind](path, limits, out)
    return out.text()


def _limit_memory(limit: int) -> None:
    try:
        import resource  # the standard library's, Unix only

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def parse_in_child(path: str, kind: str, limits: Limits) -> str:
    """Parse in a child process that is killed at the deadline."""
    project_root = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([project_root, os.environ.get("PYTHONPATH", "")]),
    }
    arguments = json.dumps({"path": path, "kind": kind, "limits": limits.__dict__})
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "resources.extraction"],
            input=arguments.encode(),
            capture_output=True,
            timeout=limits.timeout_seconds,
            cwd=project_root,
            env=env,
        )
    except subprocess.TimeoutExpired as error:
        raise ExtractionFailed(
            f"Reading the text took longer than {limits.timeout_seconds:g} seconds, "
            "so it was stopped."
        ) from error
    try:
        answer = json.loads(finished.stdout or b"{}")
    except json.JSONDecodeError:
        answer = {}
    if "text" in answer:
        return answer["text"]
    if answer.get("error"):
        raise ExtractionFailed(answer["error"])
    logger.warning(
        "Text extraction child failed (%s): %s", finished.returncode, finished.stderr[-2000:]
    )
    raise ExtractionFailed("The file could not be read: it may be damaged or too complex.")


def outcome_for(path: str, kind: str, limits: Limits, *, in_child: bool = True) -> Outcome:
    from resources.models import FileVersion

    if kind in LEGACY_OFFICE_KINDS:
        return Outcome(
            FileVersion.Extraction.NOT_TEXT,
            notice="Text is not read from Office 97–2003 files; save it as .docx, .pptx or "
            ".xlsx to make it searchable.",
        )
    if kind not in TEXT_KINDS:
        return Outcome(FileVersion.Extraction.NOT_TEXT)
    try:
        if kind in ZIP_KINDS:
            check_archive(path, limits)
        text = parse_in_child(path, kind, limits) if in_child else parse(path, kind, limits)
    except ExtractionFailed as error:
        return Outcome(FileVersion.Extraction.FAILED, notice=str(error)[:300])
    return Outcome(FileVersion.Extraction.DONE, text=text)


@contextmanager
def local_copy(blob) -> Iterator[str]:
    """A path on this machine for a stored file (object storage has none of its own)."""
    try:
        yield blob.path
        return
    except NotImplementedError:
        pass
    suffix = Path(blob.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with blob.open("rb") as source:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield copy.name


def kind_of(version) -> str:
    from resources.uploads import KINDS

    for kind, details in KINDS.items():
        if details.content_type == version.content_type:
            return kind
    return ""


def extract_version(version_pk: int) -> str:
    """Read a stored version's text and record the outcome on it. Returns the status."""
    from resources.models import FileVersion

    try:
        version = FileVersion.objects.get(pk=version_pk)
    except FileVersion.DoesNotExist:
        return "missing"
    limits = Limits.from_settings()
    kind = kind_of(version)
    if kind in TEXT_KINDS:
        try:
            with local_copy(version.blob) as path:
                outcome = outcome_for(path, kind, limits)
        except OSError:
            logger.exception("Stored file for version %s could not be opened", version_pk)
            outcome = Outcome(
                FileVersion.Extraction.FAILED, notice="The stored file could not be opened."
            )
    else:
        outcome = outcome_for("", kind, limits)
    FileVersion.objects.filter(pk=version_pk).update(
        extraction=outcome.status,
        extracted_text=outcome.text,
        extraction_notice=outcome.notice,
    )
    from search.indexing import queue_file_text

    queue_file_text(version_pk)  # the update above sends no signal
    return outcome.status


def _child_main() -> None:
    arguments = json.loads(sys.stdin.read())
    limits = Limits(**arguments["limits"])
    # Set here rather than through preexec_fn, which is unsafe in threaded servers.
    _limit_memory(limits.memory_bytes)
    try:
        text = parse(arguments["path"], arguments["kind"], limits)
    except ExtractionFailed as error:
        json.dump({"error": str(error)}, sys.stdout)
        return
    except MemoryError:
        json.dump({"error": "The file needed too much memory to read."}, sys.stdout)
        return
    except Exception as error:  # any parser failure means a damaged or unusual file
        json.dump(
            {"error": f"The file could not be read: it may be damaged ({type(error).__name__})."},
            sys.stdout,
        )
        return
    json.dump({"text": text}, sys.stdout)


if __name__ == "__main__":
    _child_main()
