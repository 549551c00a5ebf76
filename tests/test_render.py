"""Briefs as files: Markdown and HTML carry every source, and article text never becomes markup."""

from __future__ import annotations

from dataclasses import replace

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


# ---------------------------------------------------------------- links, one source per article, timelines

WEB = Citation(
    n=1,
    doc_id="a380",
    title="First Airbus A380 delivered",
    source="Wikinews",
    published_at="2007-10-15",
    quote="The first A380 superjumbo, made by Airbus, was delivered today to Singapore Airlines.",
    start=0,
    end=86,
    url="https://en.wikinews.org/wiki/First_Airbus_A380_delivered",
)
SECOND = Citation(1, "a380", WEB.title, "Wikinews", "2007-10-15", "It flew to Sydney.", 90, 108, url=WEB.url)


def test_every_form_links_each_article_once() -> None:
    from rag.render import sources_text

    note = Brief(
        "In October 2007, the first A380 superjumbo, made by Airbus, was delivered today [15 Oct 2007] to "
        "Singapore Airlines. It flew to Sydney. [1]",
        (WEB, SECOND),
        "A380",
    )
    markdown = note_markdown(note)
    (line,) = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert line == f"- [1] First Airbus A380 delivered — Wikinews, 2007-10-15 <{WEB.url}>"
    assert "  > " not in markdown  # our lead-in and bracketed date do not make the quote a paraphrase
    page = daily_html("2007-10-15", [note])
    assert page.count(f'<a href="{WEB.url}">First Airbus A380 delivered</a>') == 1 and "<q>" not in page
    text = sources_text(note.citations)
    assert text.splitlines()[0] == f"[1] First Airbus A380 delivered — Wikinews, 2007-10-15 <{WEB.url}>"
    assert text.count("“") == 2  # both quotes, under one source line


def test_timeline_renders_dated_lines_oldest_first() -> None:
    from rag.brief import Development, Timeline
    from rag.render import timeline_markdown, timeline_text

    first = replace(WEB, n=1, doc_id="launch", title="Airbus launches the A380", published_at="2005-01-18")
    merged = replace(WEB, n=3, doc_id="copy", title="Superjumbo handed over", quote="Airbus handed it over.")
    result = Timeline(
        "Airbus A380",
        (
            Development("2005-01-18", f"{first.quote} [1]", (first,)),
            Development("2007-10-15", "The first A380 … was delivered today [15 Oct 2007]. [2] [3]", (WEB, merged)),
        ),
    )
    markdown = timeline_markdown(result)
    bullets = [line for line in markdown.splitlines() if line.startswith("- **")]
    assert [b[4:14] for b in bullets] == ["2005-01-18", "2007-10-15"]
    assert "  > Airbus handed it over." in markdown  # a merged report shows its own sentence
    assert f"<{WEB.url}>" in markdown
    text = timeline_text(result)
    assert text.startswith("Airbus A380 — timeline") and "\n2005-01-18  " in text and "Sources:" in text
