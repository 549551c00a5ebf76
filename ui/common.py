"""What every page shares: the store, literal-Markdown escaping, and citation chips.

Article text is always shown as literal text: :func:`escape` turns every Markdown and HTML
character into an escaped one, so a page carrying ``<script>`` or ``[link](…)`` shows it as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

from rag.cite import copies_label, date_label
from rag.render import by_article
from rag.settings import Settings, load_settings
from rag.store import Store, open_store
from rag.types import Citation

EARLIEST = date(1900, 1, 1)  # date pickers reach back this far (Streamlit defaults to ten years)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:])")


def escape(text: str) -> str:
    """Article text as literal Markdown: no formatting, links or HTML from the corpus."""
    return _MD_SPECIAL.sub(r"\\\1", text)


@st.cache_resource(show_spinner="Opening the store…")
def get_store() -> tuple[Settings, Store]:
    settings = load_settings()
    return settings, open_store(settings)


def words_of(text: str) -> Iterator[str]:
    """The escaped text a few words at a time, for ``st.write_stream``."""
    for word in re.findall(r"\S+\s*", text):
        yield escape(word)


def source_context(store: Store, citation: Citation) -> tuple[str, str, str]:
    """(text before, the quote, text after) within the stored chunk that holds the quote."""
    for ev in store.article_chunks(citation.doc_id):
        if ev.start <= citation.start and citation.end <= ev.end:
            begin, end = citation.start - ev.start, citation.end - ev.start
            return ev.text[:begin], ev.text[begin:end], ev.text[end:]
    return "", citation.quote, ""


def highlighted(before: str, quote: str, after: str) -> str:
    """The quote highlighted in its paragraph; all three parts escaped."""
    return f"{escape(before)}:orange-background[**{escape(quote)}**]{escape(after)}"


def show_source(store: Store, c: Citation) -> None:
    """One source in full: title, outlet, date, link and the quoted sentence highlighted in context."""
    st.markdown(f"**{escape(c.title)}**")
    line = f"{escape(c.source)} · {escape(date_label(c))}"
    if c.also_reported_by:
        line += f" · also reported by {escape(', '.join(c.also_reported_by))}"
    st.caption(line)
    if not c.supported:
        st.warning("The model's sentence is not supported by this source (different numbers, names or words).")
    st.markdown(highlighted(*source_context(store, c)))
    if c.url.startswith(("http://", "https://")):
        st.link_button("Open the article", c.url)


def citation_chips(store: Store, citations: Sequence[Citation]) -> None:
    """A row of ``[n]`` chips; each opens its source with the quoted sentence highlighted."""
    if not citations:
        return
    columns = st.columns(10)  # narrow columns keep the chips close together
    for index, c in enumerate(citations):
        flag = " ⚠" if not c.supported else ""
        with columns[index % len(columns)], st.popover(f"[{c.n}]{flag}", help=escape(f"{c.title} — {c.source}")):
            show_source(store, c)


def cited_sources(citations: Sequence[Citation]) -> str:
    """Each cited article once, with all its markers: ``[1][2] Title — Source, date (also reported by …)``.

    Escaped Markdown lines (joined by hard line breaks), for a compact caption under the chips.
    """
    lines = []
    for group in by_article(citations):
        first = group[0]
        markers = "".join(f"[{n}]" for n in dict.fromkeys(c.n for c in group))
        lines.append(escape(f"{markers} {first.title} — {first.source}, {date_label(first)}{copies_label(first)}"))
    return "  \n".join(lines)


def source_names(articles: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every source in the store, own and of linked near-duplicate copies, once each (ignoring case).

    The spelling shown is the store's own: an article's own source first, else the first copy's.
    """
    from rag.dedup import decode_duplicates

    names: dict[str, str] = {}
    for a in articles:
        own = str(a.get("source") or "").strip()
        if own:
            names.setdefault(own.lower(), own)
    for a in articles:
        for copy in decode_duplicates(a.get("duplicates")):
            name = str(copy.source or "").strip()
            if name:
                names.setdefault(name.lower(), name)
    return sorted(names.values(), key=str.lower)
