"""Briefing notes: every sentence a cited quote, within budget, on topic, and every story of a day."""

from __future__ import annotations

from rag.brief import brief_date, brief_topic, daily_briefs, daily_markdown, word_count
from rag.evaluate import citation_is_valid


def test_topic_brief_is_cited_and_within_budget(bundled_store, bundled_settings) -> None:
    note = brief_topic(bundled_store, bundled_settings, "Japan China relations", max_words=80)
    assert note.citations
    prose = note.paragraph
    for c in note.citations:
        assert f"{c.quote} [{c.n}]" in prose
        assert citation_is_valid(bundled_store, c)
        prose = prose.replace(f" [{c.n}]", "")
    assert word_count(prose) <= 80


def test_off_topic_brief_declines(bundled_store, bundled_settings) -> None:
    note = brief_topic(bundled_store, bundled_settings, "quantum cryptography in Antarctica")
    assert note.paragraph == "" and note.citations == ()


def test_date_brief_quotes_only_that_day(bundled_store, bundled_settings) -> None:
    note = brief_date(bundled_store, bundled_settings, "2004-11-18")
    assert note.citations and {c.published_at for c in note.citations} == {"2004-11-18"}
    assert len({c.doc_id for c in note.citations}) >= 3  # a day's note spans its stories


def test_daily_covers_every_story_of_the_day(bundled_store, bundled_settings) -> None:
    briefs = daily_briefs(bundled_store, bundled_settings, "2004-11-18")
    articles_that_day = {a["article_id"] for a in bundled_store.list_articles() if a["published_at"] == "2004-11-18"}
    cited = {c.doc_id for b in briefs for c in b.citations}
    assert cited == articles_that_day
    text = daily_markdown("2004-11-18", briefs)
    assert text.count("\n## ") == len(briefs)
    assert "No articles" in daily_markdown("1999-01-01", [])
