"""Briefs page (a note on a topic, a day or a date range) and Daily page (one note per story)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from rag.brief import brief_date, brief_range, brief_topic, daily_briefs
from rag.render import note_markdown
from rag.settings import Settings
from rag.store import Store
from rag.types import Brief
from ui.common import EARLIEST, citation_chips, cited_sources, escape

DEMO_DAY = date(2004, 11, 18)  # the bundled corpus's busiest day


def show_note(store: Store, note: Brief, key: str) -> None:
    """The paragraph, its [n] chips and sources, and copy / download as Markdown."""
    if note.title:
        st.subheader(escape(note.title))
    st.markdown(escape(note.paragraph))
    citation_chips(store, note.citations)
    st.caption(cited_sources(note.citations))
    markdown = note_markdown(note)
    with st.expander("Copy as Markdown"):
        st.code(markdown, language="markdown")  # the code block has a copy button
    st.download_button(
        "Download Markdown", markdown, file_name=f"{key}.md", mime="text/markdown", key=f"download-{key}"
    )


def briefs_page(settings: Settings, store: Store) -> None:
    st.title("Briefing note")
    mode = st.radio("Brief on", ["Topic", "Date", "Date range"], horizontal=True, key="brief_mode")
    words = st.slider("Words at most", 40, 300, settings.brief_words, step=10, key="brief_words")
    topic = day = since = until = None
    if mode == "Topic":
        topic = st.text_input("Topic", placeholder="Japan China relations", key="brief_topic")
    elif mode == "Date":
        day = st.date_input("Day", value=DEMO_DAY, min_value=EARLIEST, key="brief_day")
    else:
        since, until = st.columns(2)
        since = since.date_input("From", value=date(2004, 11, 15), min_value=EARLIEST, key="brief_since")
        until = until.date_input("To", value=DEMO_DAY, min_value=EARLIEST, key="brief_until")
    if st.button("Write the note", type="primary", key="brief_go"):
        if mode == "Topic" and not (topic or "").strip():
            st.warning("Type a topic first.")
            return
        if since and until and since > until:
            st.error("The start date is after the end date.")
            return
        with st.spinner("Reading the articles…"):
            if topic:
                note, key = brief_topic(store, settings, topic, words), "brief-topic"
            elif day:
                note, key = brief_date(store, settings, day.isoformat(), words), f"brief-{day}"
            else:
                note = brief_range(store, settings, since.isoformat(), until.isoformat(), words)
                key = f"brief-{since}-{until}"
        st.session_state["note"] = (note, key)
    if "note" in st.session_state:
        note, key = st.session_state["note"]
        if not note.paragraph:
            st.info("Nothing in the corpus to brief on for that choice.")
        else:
            show_note(store, note, key)


def daily_page(settings: Settings, store: Store) -> None:
    st.title("Daily briefs")
    day = st.date_input("Day", value=DEMO_DAY, min_value=EARLIEST, key="daily_day")
    stories = st.slider("Stories at most", 1, 10, 5, key="daily_stories")
    with st.spinner("Grouping the day's articles into stories…"):
        notes = daily_briefs(store, settings, day.isoformat(), max_stories=stories)
    if not notes:
        st.info(f"No articles published on {day}.")
        return
    st.caption(f"{len(notes)} stories on {day}, biggest first.")
    for index, note in enumerate(notes, start=1):
        with st.container(border=True):
            show_note(store, note, f"daily-{day}-{index}")
