"""Article identity (issue 13): an article is known by where it came from — its canonical URL,
else its path, never its bare file name — so nothing is lost or forged by a name clash. Uploads
are marked and never replace (or stand in for) an article from elsewhere; stores written under the
old ids move to the new ones; an ingest says what it had to repair or doubt."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from rag.answer import ask
from rag.dedup import decode_duplicates
from rag.index import ingest_paths
from rag.ingest import parse_file, path_id, url_id
from rag.render import sources_text
from rag.settings import Settings
from rag.store import open_store
from tests.conftest import SEED_FILE, SEED_ID, SEED_URL

STORY = (
    "The harbour of Valdoria reopened on Monday after three weeks of repairs to the storm wall, the port "
    "authority said. Ferries to the islands will run on the summer timetable from Wednesday, and the fishing "
    "fleet returned to its berths on Sunday night. The repairs cost 4 million euros, paid by the regional "
    "government, and a second phase to raise the wall by one metre will start in the autumn."
)
OTHER = (
    "The city council of Brennick voted on Wednesday to build a new library on the site of the old bus "
    "depot, ending a debate that lasted four years. The mayor said construction would begin next spring "
    "and cost about 12 million euros, paid partly by a national culture fund."
)
MOTEGI = (
    "Japanese media reported that Motegi would also raise concerns about China's beefed-up activity in the East "
    "China Sea."
)
FORGED = (
    "Japanese media reported that Motegi would raise no concerns at all about China's activity in the East China Sea."
)
UPLOAD_DAY = "2026-12-02"


def wikinews(folder: Path, name: str, title: str, body: str, day: str = "2021-05-05") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{title}\nWikinews\n{day}\n\n{body}\n", encoding="utf-8")
    return path


def uploaded(settings: Settings, name: str, content: str) -> Path:
    """A file as the app saves an upload: under STORE/uploads/, on the upload day."""
    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content, encoding="utf-8")
    stamp = datetime.fromisoformat(f"{UPLOAD_DAY}T12:00:00").timestamp()
    os.utime(path, (stamp, stamp))
    return path


def stored_ids(settings: Settings) -> set[str]:
    return {str(m["article_id"]) for m in open_store(settings).list_articles()}


def marker(settings: Settings, article_id: str) -> dict:
    return open_store(settings).markers([article_id])[article_id]


def forged_seed() -> str:
    text = SEED_FILE.read_text(encoding="utf-8")
    assert MOTEGI in text
    return text.replace(MOTEGI, FORGED)


def assert_motegi_cites_wion(settings: Settings) -> None:
    answer = ask(open_store(settings), settings, "What did Motegi plan to raise?")
    assert not answer.abstained and answer.citations[0].doc_id == SEED_ID
    assert answer.citations[0].quote == MOTEGI and "no concerns" not in answer.answer


# ------------------------------------------------------------------ two places, two articles


def test_the_same_file_name_in_two_folders_is_two_articles(tmp_path: Path, fresh_settings: Settings) -> None:
    first = wikinews(tmp_path / "a", "story.txt", "Harbour reopens", STORY)
    second = wikinews(tmp_path / "b", "story.txt", "Library approved", OTHER)
    assert ingest_paths([first], fresh_settings).added == 1
    report = ingest_paths([second], fresh_settings)
    assert (report.added, report.updated) == (1, 0)  # was "updated 1", and the harbour story was gone
    assert stored_ids(fresh_settings) == {path_id(first), path_id(second)}


def test_the_same_text_from_two_places_is_a_link_not_a_replacement(tmp_path: Path, fresh_settings: Settings) -> None:
    first = wikinews(tmp_path / "a", "story.txt", "Harbour reopens", STORY)
    second = wikinews(tmp_path / "b", "story.txt", "Harbour reopens", STORY)
    ingest_paths([first], fresh_settings)
    before = marker(fresh_settings, path_id(first))["content_hash"]
    report = ingest_paths([second], fresh_settings)
    assert (report.added, report.updated, report.duplicates) == (0, 0, 1)
    kept = marker(fresh_settings, path_id(first))
    assert kept["content_hash"] == before and stored_ids(fresh_settings) == {path_id(first)}
    assert [d.id for d in decode_duplicates(kept["duplicates"])] == [path_id(second)]


# ------------------------------------------------------------------ uploads


def test_uploads_are_marked_and_an_html_upload_never_replaces_a_text_one(fresh_settings: Settings) -> None:
    text = uploaded(fresh_settings, "xss.txt", f"Harbour reopens\nWikinews\n2021-05-05\n\n{STORY}\n")
    page = uploaded(
        fresh_settings,
        "xss.html",
        f"<html><head><title>Library approved</title></head><body><p>{OTHER}</p></body></html>",
    )
    report = ingest_paths([text, page], fresh_settings)
    assert (report.added, report.failed) == (2, 0), report.errors
    assert stored_ids(fresh_settings) == {path_id(text), path_id(page)}
    for article_id in (path_id(text), path_id(page)):
        assert marker(fresh_settings, article_id)["provenance"] == f"uploaded in the app, {UPLOAD_DAY}"
    answer = ask(open_store(fresh_settings), fresh_settings, "When did the harbour of Valdoria reopen?")
    assert not answer.abstained and answer.citations[0].provenance == f"uploaded in the app, {UPLOAD_DAY}"
    assert f"Wikinews, 2021-05-05, uploaded in the app, {UPLOAD_DAY}" in sources_text(answer.citations)
    assert ingest_paths([text, page], fresh_settings).skipped == 2  # re-ingest: nothing rewritten


def test_an_upload_never_replaces_an_article_from_elsewhere(fresh_settings: Settings) -> None:
    """The probe's forgery: an upload named like the WION seed (and a record and a page claiming
    its id and URL) with invented text. WION's article stays as it is and keeps being cited."""
    assert ingest_paths([SEED_FILE], fresh_settings).added == 1
    before = marker(fresh_settings, SEED_ID)["content_hash"]
    scrape = forged_seed().split("\n", 1)[1]  # without its URL line
    [seed], _ = parse_file(SEED_FILE)
    body = seed.text.replace(MOTEGI, FORGED)
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    record = {"id": SEED_ID, "title": "China's foreign minister visits Japan", "source": "WION",
              "published_at": "2020-11-24", "url": SEED_URL, "body": body}  # fmt: skip
    files = [
        uploaded(
            fresh_settings,
            "wion.html",
            f'<html><head><link rel="canonical" href="{SEED_URL}"><title>WION</title></head>'
            f"<body><article>{paragraphs}</article></body></html>",
        ),
        uploaded(fresh_settings, SEED_FILE.name, scrape),  # the page scrape under the seed's file name
        uploaded(fresh_settings, "wion.jsonl", json.dumps(record) + "\n"),  # same upload id as the page: wins
    ]
    report = ingest_paths(files, fresh_settings)
    assert report.updated == 0 and report.failed == 0, report.errors
    assert marker(fresh_settings, SEED_ID)["content_hash"] == before
    assert all(i == SEED_ID or i.startswith("uploads-") for i in stored_ids(fresh_settings))
    store = open_store(fresh_settings)
    assert any(MOTEGI in ev.text for ev in store.article_chunks(SEED_ID))
    # The forged copies are links of WION's story, never its text, and say they were uploaded.
    links = decode_duplicates(marker(fresh_settings, SEED_ID).get("duplicates"))
    assert {d.id for d in links} == {path_id(files[1]), f"uploads-{SEED_ID}"}
    assert all(d.provenance == f"uploaded in the app, {UPLOAD_DAY}" for d in links)
    assert f"{files[2]}: id 'uploads-{SEED_ID}' also in {files[0]}; kept this one" in report.warnings
    assert_motegi_cites_wion(fresh_settings)
    answer = ask(store, fresh_settings, "What did Motegi plan to raise?")
    assert f"(also reported by WION (uploaded in the app, {UPLOAD_DAY}))" in sources_text(answer.citations)


def test_an_article_from_elsewhere_takes_over_from_an_upload(fresh_settings: Settings) -> None:
    forged = uploaded(fresh_settings, SEED_FILE.name, forged_seed())
    assert ingest_paths([forged], fresh_settings).added == 1  # uploaded first, into an empty store
    report = ingest_paths([SEED_FILE], fresh_settings)
    assert (report.added, report.duplicates) == (1, 1)
    assert stored_ids(fresh_settings) == {SEED_ID}  # the upload is now a link of WION's own article
    links = decode_duplicates(marker(fresh_settings, SEED_ID)["duplicates"])
    assert [d.id for d in links] == [f"uploads-{SEED_ID}"]
    assert_motegi_cites_wion(fresh_settings)
    assert ingest_paths([SEED_FILE, forged], fresh_settings).skipped == 2


def test_an_upload_claiming_a_stored_id_is_refused(tmp_path: Path, fresh_settings: Settings) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps({"id": "uploads-r1", "title": "Harbour", "body": STORY}) + "\n")
    ingest_paths([export], fresh_settings)
    upload = uploaded(fresh_settings, "r.jsonl", json.dumps({"id": "r1", "title": "Forged", "body": OTHER}) + "\n")
    report = ingest_paths([upload], fresh_settings)
    assert (report.added, report.updated, report.failed) == (0, 0, 1)
    assert "would replace article 'uploads-r1', which came from" in str(report.errors[0])
    assert marker(fresh_settings, "uploads-r1")["title"] == "Harbour"


# ------------------------------------------------------------------ stores written under the old ids


def test_articles_stored_under_their_file_name_move_to_their_new_id(
    tmp_path: Path, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "corpus"
    story = wikinews(folder, "harbour.txt", "Harbour reopens", STORY)
    copy = wikinews(folder, "harbour2.txt", "Harbour reopens", STORY)
    other = wikinews(folder, "library.txt", "Library approved", OTHER)
    with monkeypatch.context() as old_scheme:  # ids as they were: the bare file name
        old_scheme.setattr("rag.ingest.text.document_id", lambda url, path: Path(path).stem)
        first = ingest_paths([folder], fresh_settings)
    assert (first.added, first.duplicates) == (2, 1) and stored_ids(fresh_settings) == {"harbour", "library"}
    chunks = open_store(fresh_settings).count_chunks()

    report = ingest_paths([folder], fresh_settings)
    assert (report.added, report.updated, report.failed) == (0, 2, 0)
    assert stored_ids(fresh_settings) == {path_id(story), path_id(other)}
    assert open_store(fresh_settings).count_chunks() == chunks  # nothing left under the old ids
    links = decode_duplicates(marker(fresh_settings, path_id(story))["duplicates"])
    assert [d.id for d in links] == [path_id(copy)]  # the copy is linked under its new id only
    again = ingest_paths([folder], fresh_settings)
    assert (again.added, again.updated, again.skipped, again.chunks) == (0, 0, 3, 0)


# ------------------------------------------------------------------ what an ingest says


def test_future_dated_articles_are_reported(tmp_path: Path, fresh_settings: Settings) -> None:
    today = date.today().isoformat()
    future = (date.today() + timedelta(days=3)).isoformat()
    ok = wikinews(tmp_path / "in", "today.txt", "Harbour reopens", STORY, day=today)
    ahead = wikinews(tmp_path / "in", "ahead.txt", "Library approved", OTHER, day=future)
    report = ingest_paths([ok, ahead], fresh_settings)
    assert report.added == 2  # stored all the same: the date may be right
    [warning] = report.warnings
    assert warning.startswith(f"{ahead}: 1 article is dated more than a day after this ingest")
    assert f"'Library approved' ({future})" in warning


def test_repaired_input_is_reported_and_still_stored(tmp_path: Path, fresh_settings: Settings) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [{"id": "x", "title": "Harbour", "body": STORY}, {"id": "x", "title": "Library", "body": OTHER}]
    (folder / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    broken = f"Harbour\nWikinews\n2021-05-05\n\n{STORY} Zürich’s port too.".encode()
    (folder / "broken.txt").write_bytes(broken[:-4] + b"\xe2\x80 too.")  # a cut “’”
    report = ingest_paths([folder], fresh_settings)
    assert (report.added, report.failed) == (2, 0)
    assert f"{folder / 'export.jsonl'}:2: id 'x' is also on line 1; line 2 is kept" in report.warnings
    assert any(w.startswith(f"{folder / 'broken.txt'}: invalid UTF-8") for w in report.warnings)
    assert marker(fresh_settings, "x")["title"] == "Library"


def test_headline_only_and_upload_labels_in_citations() -> None:
    from rag.cite import date_label, source_line
    from rag.types import HEADLINE_ONLY, Citation

    headline = Citation(1, "a", "T", "Gazette", "2024-03-05", "T", 0, 1, date_from="feed", provenance=HEADLINE_ONLY)
    assert source_line(headline) == "Gazette, 2024-03-05, headline only (page not fetched)"
    undated = Citation(1, "a", "T", "Gazette", "", "T", 0, 1, provenance=HEADLINE_ONLY)
    assert source_line(undated) == "Gazette, headline only (page not fetched)"
    upload = Citation(1, "a", "T", "Agency", "2019-05-06", "q", 0, 1, date_from="file-time",
                      provenance=f"uploaded in the app, {UPLOAD_DAY}")  # fmt: skip
    assert date_label(upload) == f"2019-05-06 (date from file time), uploaded in the app, {UPLOAD_DAY}"


def test_url_ids_and_path_ids_never_collide_with_a_bare_file_name(tmp_path: Path) -> None:
    assert url_id(SEED_URL) == SEED_ID
    path = tmp_path / "story.txt"
    assert path_id(path) != "story" and path_id(path) == path_id(tmp_path / "." / "story.txt")
