"""Briefs page (a note on a topic, a timeline, a day or a date range) and Daily page (one note per story).

Each cited article is one ``[n]`` chip, whatever the number of its sentences quoted: the chip
opens the article with every quoted sentence highlighted, and its link. The sources under a note
link each title to its article when the article has a web address.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from urllib.parse import quote

import streamlit as st

from rag.brief import Timeline, brief_date, brief_range, brief_topic, daily_briefs, timeline, titles_between
from rag.cite import copies_label, date_label
from rag.quote import check_day
from rag.render import by_article, markers, note_markdown, timeline_markdown
from rag.settings import Settings
from rag.store import Store
from rag.types import Brief, Citation
from ui.common import EARLIEST, escape, highlighted, show_source, source_context

DEMO_DAY = date(2004, 11, 18)  # the bundled corpus's busiest day


def _href(url: str) -> str:
    """A web address made safe inside a Markdown link (no spaces, brackets or angle brackets)."""
    return quote(url, safe=":/?#@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")


def article_chips(store: Store, citations: Sequence[Citation]) -> None:
    """One ``[n]`` chip per cited article; it opens the article with each quoted sentence highlighted."""
    groups = by_article(citations)
    if not groups:
        return
    columns = st.columns(10)  # narrow columns keep the chips close together
    for index, group in enumerate(groups):
        first = group[0]
        flag = " ⚠" if not all(c.supported for c in group) else ""
        label = f"{markers(group)}{flag}"
        with columns[index % len(columns)], st.popover(label, help=escape(f"{first.title} — {first.source}")):
            show_source(store, first)
            for c in group[1:]:
                st.markdown(highlighted(*source_context(store, c)))


def sources_markdown(citations: Sequence[Citation]) -> str:
    """Each cited article once, ``[1] Title — Source, date``, the title linked to the article."""
    lines = []
    for group in by_article(citations):
        c = group[0]
        title = escape(c.title)
        if c.url.startswith(("http://", "https://")):
            title = f"[{title}]({_href(c.url)})"
        lines.append(f"{escape(markers(group))} {title} — {escape(f'{c.source}, {date_label(c)}{copies_label(c)}')}")
    return "  \n".join(lines)


def _download(markdown: str, key: str) -> None:
    with st.expander("Copy as Markdown"):
        st.code(markdown, language="markdown")  # the code block has a copy button
    st.download_button(
        "Download Markdown", markdown, file_name=f"{key}.md", mime="text/markdown", key=f"download-{key}"
    )


def show_note(store: Store, note: Brief, key: str) -> None:
    """The paragraph, a chip per cited article, the linked sources, and copy / download as Markdown."""
    if note.title:
        st.subheader(escape(note.title))
    st.markdown(escape(note.paragraph))
    article_chips(store, note.citations)
    st.caption(sources_markdown(note.citations))
    _download(note_markdown(note), key)


def show_timeline(store: Store, result: Timeline, key: str) -> None:
    """One dated line per development, oldest first, with its chips; then the linked sources."""
    st.subheader(escape(f"{result.topic} — timeline"))
    for development in result.developments:
        with st.container(border=True):
            st.markdown(f"**{escape(development.date or 'undated')}** — {escape(development.text)}")
            article_chips(store, development.citations)
    st.caption(sources_markdown(result.citations))
    _download(timeline_markdown(result), key)


def briefs_page(settings: Settings, store: Store) -> None:
    st.title("Briefing note")
    mode = st.radio("Brief on", ["Topic", "Timeline", "Date", "Date range"], horizontal=True, key="brief_mode")
    words = st.slider("Words at most", 40, 300, settings.brief_words, step=10, key="brief_words")
    topic = day = since = until = None
    if mode == "Topic":
        topic = st.text_input("Topic", placeholder="e.g. Japan China relations", key="brief_topic")
    elif mode == "Timeline":
        topic = st.text_input("Topic", placeholder="e.g. Airbus A380", key="timeline_topic")
    elif mode == "Date":
        day = st.date_input("Day", value=DEMO_DAY, min_value=EARLIEST, key="brief_day")
    else:
        since, until = st.columns(2)
        since = since.date_input("From", value=date(2004, 11, 15), min_value=EARLIEST, key="brief_since")
        until = until.date_input("To", value=DEMO_DAY, min_value=EARLIEST, key="brief_until")
    label = "Draw the timeline" if mode == "Timeline" else "Write the note"
    if st.button(label, type="primary", key="brief_go"):
        if mode in ("Topic", "Timeline") and not (topic or "").strip():
            st.warning("Type a topic first.")
            return
        if since and until and since > until:
            st.error("The start date is after the end date.")
            return
        with st.spinner("Reading the articles…"):
            if mode == "Timeline":
                note, key = timeline(store, settings, topic or ""), "timeline"
            elif topic:
                note, key = brief_topic(store, settings, topic, words), "brief-topic"
            elif day:
                note, key = brief_date(store, settings, day.isoformat(), words), f"brief-{day}"
            else:
                note = brief_range(store, settings, since.isoformat(), until.isoformat(), words)
                key = f"brief-{since}-{until}"
        st.session_state["note"] = (note, key)
        st.session_state["note_days"] = (
            (day.isoformat(), day.isoformat()) if day else (since.isoformat(), until.isoformat()) if since else None
        )
    if "note" in st.session_state:
        note, key = st.session_state["note"]
        if isinstance(note, Timeline):
            if note.developments:
                show_timeline(store, note, key)
            else:
                st.info("Nothing in the corpus to put on a timeline about that topic.")
        elif not note.paragraph:
            first, last = st.session_state.get("note_days") or (None, None)
            stored = titles_between(store, first, last) if first else []
            if stored:
                why = f"{len(stored)} article(s) stored for that choice, but none holds a sentence a note can quote: "
                st.info(escape(why + "; ".join(stored[:3])))
            else:
                st.info("Nothing in the corpus to brief on for that choice.")
        else:
            show_note(store, note, key)


def _step_day(days: int) -> None:
    """The day before or after the one shown (a button's callback, so it runs before the field is drawn)."""
    try:
        shown = date.fromisoformat(check_day(st.session_state.get("daily_day", "")))
    except ValueError:
        shown = DEMO_DAY
    st.session_state["daily_day"] = (shown + timedelta(days=days)).isoformat()


def daily_page(settings: Settings, store: Store) -> None:
    st.title("Daily briefs")
    st.session_state.setdefault("daily_day", DEMO_DAY.isoformat())
    field, back, forward = st.columns([4, 1, 1], vertical_alignment="bottom")
    # A text field: typing a day and pressing Enter shows it (a date picker only takes it on leaving).
    typed = field.text_input("Day (YYYY-MM-DD), then Enter", key="daily_day")
    back.button("◀ Day before", key="daily_back", on_click=_step_day, args=(-1,), use_container_width=True)
    forward.button("Day after ▶", key="daily_forward", on_click=_step_day, args=(1,), use_container_width=True)
    stories = st.slider("Stories at most", 1, 10, 5, key="daily_stories")
    try:
        day = check_day(typed)
    except ValueError as exc:
        st.error(str(exc))
        return
    with st.spinner("Grouping the day's articles into stories…"):
        notes = daily_briefs(store, settings, day, max_stories=stories)
    if not notes:
        st.info(f"No articles published on {day}.")
        return
    st.caption(f"{len(notes)} stories on {day}, biggest first.")
    for index, note in enumerate(notes, start=1):
        with st.container(border=True):
            show_note(store, note, f"daily-{day}-{index}")
