from pathlib import Path

import pytest

from resources.extraction import Limits, outcome_for, parse
from resources.models import FileVersion
from tests.resources import filemakers

TEXT = "Equivalent fractions on a number line"


def _write(tmp_path: Path, kind: str, content: bytes) -> str:
    path = tmp_path / f"file.{kind}"
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("kind", filemakers.DOCUMENT_KINDS)
def test_the_text_of_every_document_kind_is_read_in_a_child_process(tmp_path, kind):
    path = _write(tmp_path, kind, filemakers.make(kind, TEXT))

    outcome = outcome_for(path, kind, Limits())

    assert outcome.status == FileVersion.Extraction.DONE
    assert TEXT in outcome.text


@pytest.mark.parametrize("kind", filemakers.MEDIA_KINDS)
def test_images_audio_and_video_have_no_text_to_read(tmp_path, kind):
    path = _write(tmp_path, kind, filemakers.make(kind))

    assert outcome_for(path, kind, Limits()).status == FileVersion.Extraction.NOT_TEXT


def test_a_corrupt_pdf_is_marked_unreadable_with_a_notice(tmp_path):
    path = _write(tmp_path, "pdf", filemakers.corrupt_pdf())

    outcome = outcome_for(path, "pdf", Limits())

    assert outcome.status == FileVersion.Extraction.FAILED
    assert "could not be read" in outcome.notice


def test_a_decompression_bomb_is_never_opened_by_a_parser(tmp_path):
    path = _write(tmp_path, "docx", filemakers.zip_bomb_docx())

    outcome = outcome_for(path, "docx", Limits(), in_child=False)

    assert outcome.status == FileVersion.Extraction.FAILED
    assert "decompression bomb" in outcome.notice


def test_a_file_unpacking_past_the_size_limit_is_not_read(tmp_path):
    path = _write(tmp_path, "docx", filemakers.make("docx", TEXT))

    outcome = outcome_for(path, "docx", Limits(max_unpacked_bytes=1000))

    assert outcome.status == FileVersion.Extraction.FAILED
    assert "more than the 0 MB" in outcome.notice


def test_only_the_first_pages_of_a_long_pdf_are_read(tmp_path):
    path = _write(tmp_path, "pdf", filemakers.pdf(TEXT, pages=3))

    text = parse(path, "pdf", Limits(max_pages=2))

    assert "(page 2)" in text
    assert "(page 3)" not in text


def test_extracted_text_is_cut_at_the_character_limit(tmp_path):
    path = _write(tmp_path, "docx", filemakers.make("docx", "x" * 5000))

    assert len(parse(path, "docx", Limits(max_chars=100))) <= 100


def test_a_parse_that_runs_past_its_deadline_is_stopped(tmp_path):
    path = _write(tmp_path, "pdf", filemakers.pdf(TEXT))

    outcome = outcome_for(path, "pdf", Limits(timeout_seconds=0.01))

    assert outcome.status == FileVersion.Extraction.FAILED
    assert "took longer than 0.01 seconds" in outcome.notice


def test_legacy_office_files_are_kept_without_their_text(tmp_path):
    outcome = outcome_for(str(tmp_path / "old.doc"), "doc", Limits())

    assert outcome.status == FileVersion.Extraction.NOT_TEXT
    assert "save it as .docx" in outcome.notice
