"""newsbrief in the browser: a chat page and a briefing-note page (a thin shell over ``rag``).

Run with ``newsbrief app`` (or ``make run``). Article text is shown as text, never as HTML.
"""

from __future__ import annotations

import re
from datetime import date

import streamlit as st

from rag.brief import brief_date, brief_topic
from rag.conversation import MAX_TURNS, Turn, ask_followup
from rag.settings import load_settings
from rag.store import open_store
from rag.types import Citation

st.set_page_config(page_title="newsbrief", page_icon="📰", layout="wide")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:])")


def escape(text: str) -> str:
    """Article text as literal Markdown: no formatting, links or HTML from the corpus."""
    return _MD_SPECIAL.sub(r"\\\1", text)


@st.cache_resource(show_spinner="Opening the store…")
def get_store():
    settings = load_settings()
    return settings, open_store(settings)


def show_sources(citations: list[Citation] | tuple[Citation, ...]) -> None:
    for c in citations:
        flag = " · ⚠ not supported by its source" if not c.supported else ""
        label = f"[{c.n}] {escape(c.title)} — {escape(c.source)}, {c.published_at or 'undated'}{flag}"
        with st.expander(label, expanded=False):
            st.markdown(f"> {escape(c.quote)}")
            st.caption(f"{escape(c.doc_id)} · characters {c.start}–{c.end}" + (f" · {escape(c.url)}" if c.url else ""))


def show_understood(question: str, standalone: str) -> None:
    """Say how a follow-up was read, so a wrong rewrite is visible (as text: it quotes the user)."""
    if standalone and standalone != question:
        st.caption(f"understood as: {escape(standalone)}")


settings, store = get_store()
articles = store.list_articles()
sources = sorted({str(a.get("source", "")) for a in articles} - {""})

st.sidebar.title("📰 newsbrief")
page = st.sidebar.radio("Page", ["Chat", "Briefing note"], key="page")
st.sidebar.caption(f"{len(articles)} articles in the store · generator: {settings.llm}")

if page == "Chat":
    st.title("Ask the news")
    use_as_of = st.sidebar.checkbox("Only articles up to a date", key="use_as_of")
    as_of = st.sidebar.date_input("As of", value=date.today(), key="as_of") if use_as_of else None
    use_since = st.sidebar.checkbox("Only articles from a date", key="use_since")
    since = st.sidebar.date_input("Since", value=date(2004, 1, 1), key="since") if use_since else None
    source = st.sidebar.selectbox("Source", ["(all)", *sources], key="source")
    history = st.session_state.setdefault("history", [])
    if not history:
        st.caption(
            "Answers quote the articles and cite them; open a source to see the exact sentence. "
            "Try: What did Motegi plan to raise? · Why did Japan reduce aid to China? · "
            "Who became chief executive of General Motors in 2013?"
        )
    for turn in history:
        with st.chat_message("user"):
            st.markdown(escape(turn["question"]))
        with st.chat_message("assistant"):
            st.markdown(escape(turn["answer"].answer))
            show_understood(turn["answer"].question, turn.get("standalone", ""))
            show_sources(turn["answer"].citations)
    question = st.chat_input("Ask a question, e.g. What did Motegi plan to raise?")
    if question and question.strip():
        with st.chat_message("user"):
            st.markdown(escape(question))
        with st.chat_message("assistant"), st.spinner("Searching the corpus…"):
            # Follow-ups ("And what did Wang say?") are resolved against the earlier turns first.
            turns = [
                Turn.from_answer(turn["question"], turn.get("standalone") or turn["question"], turn["answer"])
                for turn in history
            ]
            try:
                answer, standalone = ask_followup(
                    store,
                    settings,
                    question,
                    turns[-MAX_TURNS:],
                    as_of=as_of.isoformat() if as_of else None,
                    source=None if source == "(all)" else source,
                    since=since.isoformat() if since else None,
                )
            except ValueError as exc:  # e.g. a "since" date after the "as of" date
                st.error(escape(str(exc)))
                st.stop()
            st.markdown(escape(answer.answer))
            show_understood(answer.question, standalone)
            show_sources(answer.citations)
        history.append({"question": question, "answer": answer, "standalone": standalone})
else:
    st.title("Briefing note")
    mode = st.radio("Brief on", ["Topic", "Date"], horizontal=True, key="brief_mode")
    words = st.slider("Words at most", 40, 300, settings.brief_words, step=10, key="brief_words")
    if mode == "Topic":
        topic = st.text_input("Topic", placeholder="Japan China relations", key="brief_topic")
        day = None
    else:
        topic = None
        day = st.date_input("Day", value=date(2004, 11, 18), key="brief_day")
    if st.button("Write the note", type="primary", key="brief_go"):
        if mode == "Topic" and not (topic or "").strip():
            st.warning("Type a topic first.")
        else:
            with st.spinner("Reading the articles…"):
                note = (
                    brief_topic(store, settings, topic, words)
                    if topic
                    else brief_date(store, settings, day.isoformat(), words)
                )
            if not note.paragraph:
                st.info("Nothing in the corpus to brief on" + (f" for {day}." if day else " for that topic."))
            else:
                st.markdown(escape(note.paragraph))
                show_sources(note.citations)
