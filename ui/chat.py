"""Chat page: questions answered from the corpus, streamed, with clickable citation chips."""

from __future__ import annotations

from datetime import date

import streamlit as st

from rag.conversation import MAX_TURNS, Turn, ask_followup
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer
from ui.common import EARLIEST, citation_chips, cited_sources, escape, words_of

EXAMPLES = (
    "What did Motegi plan to raise? · Why did Japan reduce aid to China? · "
    "Who became chief executive of General Motors in 2013?"
)


def show_answer(store: Store, answer: Answer, standalone: str, stream: bool = False) -> None:
    if answer.abstained:
        st.warning("**Not found in the corpus.** " + escape(answer.answer))
        return
    if stream:
        st.write_stream(words_of(answer.answer))
    else:
        st.markdown(escape(answer.answer))
    if standalone and standalone != answer.question:
        st.caption(f"understood as: {escape(standalone)}")  # a wrong rewrite is visible (quoted as text)
    citation_chips(store, answer.citations)
    if answer.citations:
        st.caption(cited_sources(answer.citations))  # the sources at a glance, each article once


def page(settings: Settings, store: Store, sources: list[str]) -> None:
    st.title("Ask the news")
    use_as_of = st.sidebar.checkbox("Only articles up to a date", key="use_as_of")
    as_of = st.sidebar.date_input("As of", value=date.today(), min_value=EARLIEST, key="as_of") if use_as_of else None
    use_since = st.sidebar.checkbox("Only articles from a date", key="use_since")
    since = (
        st.sidebar.date_input("Since", value=date(2004, 1, 1), min_value=EARLIEST, key="since") if use_since else None
    )
    source = st.sidebar.selectbox("Source", ["(all)", *sources], key="source")
    history = st.session_state.setdefault("history", [])
    if history and st.sidebar.button("New conversation", key="forget"):
        history.clear()
    if not history:
        st.caption(f"Answers quote the articles; click a [n] chip to see the exact sentence. Try: {EXAMPLES}")
    for turn in history:
        with st.chat_message("user"):
            st.markdown(escape(turn["question"]))
        with st.chat_message("assistant"):
            show_answer(store, turn["answer"], turn.get("standalone", ""))
    question = st.chat_input("Ask a question, e.g. What did Motegi plan to raise?")
    if not (question and question.strip()):
        return
    with st.chat_message("user"):
        st.markdown(escape(question))
    with st.chat_message("assistant"):
        # Follow-ups ("And what did Wang say?") are resolved against the earlier turns first.
        turns = [Turn.from_answer(t["question"], t.get("standalone") or t["question"], t["answer"]) for t in history]
        try:
            with st.spinner("Searching the corpus…"):
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
            return
        # The answer is streamed once it has passed the citation check: nothing unchecked is shown.
        show_answer(store, answer, standalone, stream=True)
    history.append({"question": question, "answer": answer, "standalone": standalone})
