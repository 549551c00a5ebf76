"""Near-duplicates: the same wire story from two outlets is stored once and linked to both sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer import ask
from rag.dedup import (
    NearDuplicateIndex,
    close_in_time,
    decode_signature,
    encode_signature,
    signature,
    similar_titles,
    similarity,
)
from rag.evaluate import gold_rank
from rag.index import ingest_paths
from rag.ingest import make_article, path_id
from rag.render import sources_text
from rag.settings import Settings
from rag.store import open_store

WIRE = (
    "Rescue teams in the port city of Valdoria pulled 14 fishermen from the sea on Tuesday after a storm "
    "capsized three trawlers near the harbour mouth, the coast guard said. Two men are still missing. "
    "Coast guard commander Elena Marsh said the boats had ignored a warning issued on Monday evening and "
    "that helicopters would keep searching through the night. The harbour will stay closed to small boats "
    "until Thursday, the port authority said in a statement, and the fishing cooperative asked members to "
    "check on crews who had not reported back. Local hospitals treated nine of the rescued men for "
    "hypothermia; all are expected to recover, a spokesperson for the regional health service said."
)
OTHER = (
    "The city council of Brennick voted on Wednesday to build a new library on the site of the old bus "
    "depot, ending a debate that lasted four years. The mayor said construction would begin next spring "
    "and cost about 12 million euros, paid partly by a national culture fund. Opponents had wanted the "
    "site used for housing; the council promised a separate plan for 300 homes by the end of the year."
)


def copy_of(text: str) -> str:
    """A republished copy: an outlet's own opening line and two small edits."""
    edited = text.replace("on Tuesday", "on Tuesday morning").replace("Two men are", "Two fishermen are")
    return "(Valdoria) — " + edited


def write(folder: Path, stem: str, title: str, source: str, day: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.md"
    path.write_text(f"---\ntitle: {title}\nsource: {source}\npublished_at: {day}\n---\n\n{body}\n")
    return path


def ids(folder: Path) -> tuple[str, str, str]:
    """The newsroom's article ids (from their paths): AP's story, CNN's copy of it, the library."""
    return tuple(path_id(folder / f"{stem}.md") for stem in ("ap-storm", "cnn-storm", "library"))  # type: ignore[return-value]


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write(folder, "ap-storm", "Storm capsizes trawlers off Valdoria; 14 rescued", "AP", "2024-03-05", WIRE)
    write(folder, "cnn-storm", "Storm capsizes trawlers off Valdoria, 14 rescued", "CNN", "2024-03-05", copy_of(WIRE))
    write(folder, "library", "Brennick council approves new library", "Brennick Post", "2024-03-06", OTHER)
    return folder


# ------------------------------------------------------------------ pure parts


def test_small_edits_keep_the_signature_close_and_rewrites_do_not() -> None:
    original, copy, other = signature(WIRE), signature(copy_of(WIRE)), signature(OTHER)
    assert original is not None and copy is not None and other is not None
    assert similarity(original, copy) >= 0.8
    assert similarity(original, other) < 0.2
    assert signature("Too short to judge.") is None


def test_signature_round_trips_through_metadata_text() -> None:
    values = signature(WIRE)
    assert values is not None
    assert (decode_signature(encode_signature(values)) == values).all()
    assert decode_signature("not base64!") is None


def test_guards_against_shared_boilerplate_bodies() -> None:
    # Scraped paywall pages: the same body under different headlines is not the same story.
    assert not similar_titles("Quiz of the week", "The Week", "The outlook for China's zero-Covid strategy", "The Week")
    assert similar_titles("Medal of Freedom: Biden to honor 17 people", "CNN", "Biden honors 17 people - CNN", "CNN")
    assert close_in_time("2024-03-05", "2024-03-09") and not close_in_time("2024-03-05", "2024-06-05")
    assert close_in_time("", "2024-03-05")


def test_index_finds_the_copy_but_not_a_same_body_other_headline() -> None:
    index = NearDuplicateIndex(0.8)
    ap = make_article("ap", "Storm capsizes trawlers off Valdoria", "AP", "2024-03-05", "", WIRE)
    index.add(ap.id, signature(ap.text), ap.title, ap.source, ap.published_at)
    cnn = make_article("cnn", "Storm capsizes trawlers off Valdoria", "CNN", "2024-03-05", "", copy_of(WIRE))
    found = index.find(signature(cnn.text), cnn)
    assert found is not None and found[0] == "ap"
    unrelated_title = make_article("x", "Quiz of the week", "CNN", "2024-03-05", "", WIRE)
    assert index.find(signature(unrelated_title.text), unrelated_title) is None
    months_later = make_article("y", "Storm capsizes trawlers off Valdoria", "CNN", "2024-09-05", "", WIRE)
    assert index.find(signature(months_later.text), months_later) is None


def test_gold_rank_counts_a_linked_copy() -> None:
    row = {"evidence": [{"doc_id": "cnn-storm"}]}
    assert gold_rank(row, [("library", "L"), ("ap-storm", "S")]) is None
    assert gold_rank(row, [("library", "L"), ("ap-storm", "S")], {"ap-storm": ("cnn-storm",)}) == 2


# ------------------------------------------------------------------ through the store


def test_copy_is_stored_once_and_answers_name_both_sources(newsroom: Path, fresh_settings: Settings) -> None:
    ap, cnn, library = ids(newsroom)
    report = ingest_paths([newsroom], fresh_settings)
    assert report.failed == 0, report.errors
    assert (report.added, report.duplicates) == (2, 1)
    store = open_store(fresh_settings)
    assert {m["article_id"] for m in store.list_articles()} == {ap, library}
    assert not [i for i in store.get_all(include=[])[0] if i.startswith(cnn)]

    answer = ask(store, fresh_settings, "How many fishermen were rescued near Valdoria?")
    assert not answer.abstained and answer.citations
    cited = answer.citations[0]
    assert cited.doc_id == ap and cited.also_reported_by == ("CNN",)
    assert "AP, 2024-03-05 (also reported by CNN)" in sources_text(answer.citations)


def test_reingest_skips_copies_and_updates_a_changed_copy(newsroom: Path, fresh_settings: Settings) -> None:
    ap, cnn, library = ids(newsroom)
    ingest_paths([newsroom], fresh_settings)
    again = ingest_paths([newsroom], fresh_settings)
    assert (again.added, again.updated, again.skipped, again.duplicates, again.chunks) == (0, 0, 3, 0, 0)

    # The copy changes a little: still a copy, its link carries the new content hash.
    write(
        newsroom,
        "cnn-storm",
        "Storm capsizes trawlers off Valdoria, 14 rescued",
        "CNN",
        "2024-03-05",
        copy_of(WIRE) + " Updated at 10:00.",
    )
    changed = ingest_paths([newsroom], fresh_settings)
    assert (changed.duplicates, changed.chunks) == (1, 0)
    assert ingest_paths([newsroom], fresh_settings).skipped == 3

    # The copy is rewritten into another story: it becomes an article of its own, the link goes.
    write(newsroom, "cnn-storm", "Brennick library vote", "CNN", "2024-03-07", OTHER.replace("Brennick", "Brenwick"))
    rewritten = ingest_paths([newsroom], fresh_settings)
    assert rewritten.added == 1
    store = open_store(fresh_settings)
    assert {m["article_id"] for m in store.list_articles()} == {ap, cnn, library}
    assert all(ev.also_reported_by == () for ev in store.article_chunks(ap))


def test_prune_removes_the_link_of_a_deleted_copy(newsroom: Path, fresh_settings: Settings) -> None:
    ap, _, library = ids(newsroom)
    ingest_paths([newsroom], fresh_settings)
    (newsroom / "cnn-storm.md").unlink()
    report = ingest_paths([newsroom], fresh_settings, prune=True)
    assert report.pruned == 1
    store = open_store(fresh_settings)
    assert all(ev.duplicate_ids == () for ev in store.article_chunks(ap))
    assert {m["article_id"] for m in store.list_articles()} == {ap, library}


def test_a_changed_canonical_keeps_its_copies(newsroom: Path, fresh_settings: Settings) -> None:
    ap, cnn, _ = ids(newsroom)
    ingest_paths([newsroom], fresh_settings)
    write(
        newsroom,
        "ap-storm",
        "Storm capsizes trawlers off Valdoria; 14 rescued",
        "AP",
        "2024-03-05",
        WIRE + " This story has been corrected.",
    )
    report = ingest_paths([newsroom], fresh_settings)
    assert report.updated == 1
    store = open_store(fresh_settings)
    assert {ev.duplicate_ids for ev in store.article_chunks(ap)} == {(cnn,)}


def test_dedup_can_be_switched_off(newsroom: Path, fresh_settings: Settings) -> None:
    settings = fresh_settings.with_(dedup=False)
    report = ingest_paths([newsroom], settings)
    assert (report.added, report.duplicates) == (3, 0)


def test_a_source_filter_finds_stories_it_carried_as_a_copy(newsroom: Path, fresh_settings: Settings) -> None:
    ap, _, library = ids(newsroom)
    ingest_paths([newsroom], fresh_settings)
    store = open_store(fresh_settings)
    assert "cnn" in store.sources()
    answer = ask(store, fresh_settings, "How many fishermen were rescued near Valdoria?", source="CNN")
    assert not answer.abstained and answer.citations[0].doc_id == ap
    other = ask(store, fresh_settings, "How many fishermen were rescued near Valdoria?", source="Brennick Post")
    assert all(c.doc_id == library for c in other.citations)
