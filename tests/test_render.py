"""Briefs as files: Markdown and HTML carry every source, and article text never becomes markup."""

from __future__ import annotations

from rag.render import daily_html, daily_markdown, note_markdown
from rag.types import Brief, Citation

HOSTILE = Citation(
    n=1,
    doc_id="evil",
    title="<script>alert(1)</script> Ferry news",
    source="Evil Gazette",
    published_at="2019-05-06",
    quote='The ferry <img src=x onerror=alert(1)> sails "daily".',
    start=0,
    end=10,
    url="javascript:alert(1)",
    date_from="file-time",
    also_reported_by=("AP",),
)
NOTE = Brief(paragraph='The ferry <img src=x onerror=alert(1)> sails "daily". [1]', citations=(HOSTILE,), title="Ferry")


def test_markdown_note_lists_sources_with_fallback_dates_and_copies() -> None:
    text = note_markdown(NOTE)
    assert text.startswith("## Ferry\n\n")
    assert (
        "- [1] &lt;script&gt;alert(1)&lt;/script&gt; Ferry news — Evil Gazette, 2019-05-06 (date from file time)"
        in text
    )
    assert "(also reported by AP)" in text
    assert "<javascript:" not in text  # only http(s) links are written
    assert "<img" not in text and "<script" not in text  # no live HTML for a Markdown renderer


def test_sources_are_listed_once_per_article() -> None:
    second = Citation(2, "evil", HOSTILE.title, "Evil Gazette", "2019-05-06", "It sails at noon.", 20, 37)
    paraphrase = Citation(3, "other", "Port news", "Port Post", "2019-05-07", "Crossings resume.", 0, 17)
    note = Brief("The ferry sails. [1] It sails at noon. [2] Ferries run again. [3]", (HOSTILE, second, paraphrase))
    lines = [line for line in note_markdown(note).splitlines() if line.startswith("- ")]
    assert [line.split(" ", 2)[1] for line in lines] == ["[1][2]", "[3]"]
    # A quote the paragraph does not hold verbatim (a model's paraphrase) is shown as evidence.
    assert "  > Crossings resume." in note_markdown(note)
    assert "  > It sails at noon." not in note_markdown(note)


def test_html_escapes_article_text_and_drops_non_http_links() -> None:
    page = daily_html("2019-05-06", [NOTE])
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert page.count("<h2>") == 1 and "also reported by AP" in page


def test_empty_day_says_so() -> None:
    assert "No articles" in daily_markdown("1999-01-01", [])
    assert "No articles" in daily_html("1999-01-01", [])
