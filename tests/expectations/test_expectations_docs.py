"""Data Docs build offline into a directory, from results as the store keeps them."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import pytest
from quality_records import credit_code, license_record, people

from expectations import build_data_docs, validate_batch


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access during Data Docs build: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_data_docs_show_the_suites_and_the_latest_results(
    tmp_path: Path, offline: None, rng: random.Random
) -> None:
    dirty = people(50, seed=21)
    dirty[3]["id_number"] = "110105194912310021"
    held = credit_code(rng)
    results = [
        validate_batch("person", people(50), source="gongan_population", run_id="run-a"),
        validate_batch("person", dirty, source="gongan_population", run_id="run-b"),
        validate_batch("license", [license_record(rng, held)], source="zhengzhao",
                       run_id="run-c", known_keys={held}, license_types={"11100000MB0143118A"}),
    ]  # fmt: skip
    # What the store keeps is JSON; the docs are built from that, as in a new process.
    stored = [json.loads(json.dumps(v.as_record())) for v in results]

    index = build_data_docs(tmp_path / "docs", results=stored)

    assert index == (tmp_path / "docs" / "index.html").resolve() and index.is_file()
    html = index.read_text(encoding="utf-8")
    for suite in ("person", "enterprise", "license"):
        assert (index.parent / "expectations" / f"{suite}.html").is_file()
        assert suite in html
    for run in ("run-a", "run-b", "run-c"):
        assert run in html
    pages = list((index.parent / "validations").rglob("*.html"))
    assert len(pages) == 3
    page = next(p for p in pages if "run-b" in str(p)).read_text(encoding="utf-8")
    assert "valid citizen ID numbers" in page and "110105194912310021" in page
    license_suite = (index.parent / "expectations" / "license.html").read_text(encoding="utf-8")
    assert "e-license catalog" in license_suite  # the suite as the latest run used it


def test_data_docs_without_results_document_the_default_suites(
    tmp_path: Path, offline: None
) -> None:
    index = build_data_docs(tmp_path / "empty")
    person = (index.parent / "expectations" / "person.html").read_text(encoding="utf-8")
    assert "must be the birth date carried by the ID number" in person
    assert "GB 11643" in person
