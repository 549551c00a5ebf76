"""Briefs as people read them: terminal text, Markdown and self-contained HTML. Pure functions, no I/O.

All article text is escaped for HTML (``html.escape``), so a title carrying ``<script>`` is shown
as text in the daily page and never runs. Each cited article is listed once, with its markers,
and linked to its address when it has an http(s) one.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.cite import (  # the terminal's source list lives with the citations: `ask` needs no more
    by_article,
    copies_label,
    date_label,
    is_web,
    link,
    markers,
    sources_text,
)
from rag.quote import shown_as
from rag.types import Brief, Citation

if TYPE_CHECKING:
    from rag.brief import Timeline


def md_text(text: str) -> str:
    """Article text for a Markdown file: HTML special characters become entities, so a title
    carrying ``<script>`` is shown as text by any Markdown renderer."""
    return html.escape(text, quote=False)


def _quotes_to_show(group: list[Citation], paragraph: str) -> list[str]:
    """A quote is repeated under the paragraph only when the paragraph does not already hold it
    (a model's paraphrase, or a development merged into another's line): then the reader sees the
    evidence next to the claim. Our bracketed dates and lead-ins do not count as a change."""
    return [c.quote for c in group if not shown_as(c.quote, paragraph)]


def source_lines(citations: Sequence[Citation], paragraph: str = "") -> list[str]:
    """One line per cited article: ``[1][3] Title — Source, date (also reported by …) <url>``."""
    lines = []
    for group in by_article(citations):
        c = group[0]
        line = f"- {markers(group)} {md_text(c.title)} — {md_text(c.source)}, {date_label(c)}{md_text(copies_label(c))}"
        lines.append(line + link(c.url))
        lines += [f"  > {md_text(q)}" for q in _quotes_to_show(group, paragraph)]
    return lines


def note_markdown(note: Brief, heading: str = "##") -> str:
    """One note: its title as a heading, the paragraph with its [n] markers, then its sources."""
    lines = [f"{heading} {md_text(note.title)}", ""] if note.title else []
    lines += [md_text(note.paragraph), "", "Sources:", "", *source_lines(note.citations, note.paragraph)]
    return "\n".join(lines).rstrip() + "\n"


def daily_markdown(label: str, notes: Sequence[Brief]) -> str:
    """The daily brief file: one section a story, biggest first."""
    parts = [f"# Daily brief — {label}\n"]
    if not notes:
        parts.append("No articles in the corpus were published in this period.\n")
    parts += [note_markdown(note) for note in notes]
    return "\n".join(parts)


_STYLE = """body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}.sources{font-size:.9rem;color:#555}
.sources li{margin:.3rem 0}q{font-style:italic}"""


def daily_html(label: str, notes: Sequence[Brief]) -> str:
    """The same brief as one self-contained HTML page (no scripts, no external assets)."""
    e = html.escape
    body = [f"<h1>Daily brief — {e(label)}</h1>"]
    if not notes:
        body.append("<p>No articles in the corpus were published in this period.</p>")
    for note in notes:
        if note.title:
            body.append(f"<h2>{e(note.title)}</h2>")
        body.append(f"<p>{e(note.paragraph)}</p>")
        items = []
        for group in by_article(note.citations):
            c = group[0]
            title = f'<a href="{e(c.url)}">{e(c.title)}</a>' if is_web(c.url) else e(c.title)
            quotes = "".join(f" <q>{e(q)}</q>" for q in _quotes_to_show(group, note.paragraph))
            items.append(
                f"<li>{markers(group)} {title} — {e(c.source)}, {e(date_label(c))}{e(copies_label(c))}{quotes}</li>"
            )
        body.append(f'<ul class="sources">{"".join(items)}</ul>')
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Daily brief — {e(label)}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def timeline_text(timeline: Timeline) -> str:
    """A timeline in a terminal: one dated line per development, oldest first, then the sources."""
    lines = [f"{timeline.topic} — timeline", ""]
    lines += [f"{d.date or 'undated':<10}  {d.text}" for d in timeline.developments]
    return "\n".join(lines) + "\n\nSources:\n" + sources_text(timeline.citations)


def timeline_markdown(timeline: Timeline, heading: str = "##") -> str:
    """A timeline as Markdown: a bullet per development with its date in bold, then the sources."""
    lines = [f"{heading} {md_text(timeline.topic)} — timeline", ""]
    lines += [f"- **{d.date or 'undated'}** — {md_text(d.text)}" for d in timeline.developments]
    shown = " ".join(d.text for d in timeline.developments)
    lines += ["", "Sources:", "", *source_lines(timeline.citations, shown)]
    return "\n".join(lines) + "\n"
