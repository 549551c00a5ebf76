"""Chat page: questions answered from the corpus as they happen, each with its cited sources.

No turn is ever lost. A question is added to the conversation by the chat input's callback, which
Streamlit runs before the script, so a question sent while the previous answer is still coming
(a rerun that stops the running script) is already in the history. Each answer is computed by an
:class:`AnswerJob` in a background thread that writes its result into its turn, whether or not a
page run is still following it; the next run picks up what is pending, in order.

Sources are listed under each answer, each cited article once; opening one shows the quoted
sentences highlighted in context, in the page's flow (a popover covered the chat input).

While an answer is coming the page shows real progress, read from the LangChain events of the very
``ask_followup`` call the CLI makes: "Searching the corpus…", "Reading N articles…", and with an
OpenAI-compatible model its tokens as they arrive (a draft). The draft is then replaced by the
checked answer: the same citations and support checks as a non-streamed answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import streamlit as st

from rag.conversation import MAX_TURNS, Turn, ask_followup
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer
from ui.common import EARLIEST, article_sources, escape

EXAMPLES = (
    "What did Motegi plan to raise? · Why did Japan reduce aid to China? · "
    "Who became chief executive of General Motors in 2013?"
)
HISTORY = "history"  # session key of the conversation: a list of turn dicts, oldest first
QUESTION = "question"  # the chat input's key
CHAIN_NAME = "newsbrief_answer"  # the outermost run in the event stream: its end carries the result


@dataclass(frozen=True)
class Step:
    """One thing to show while an answer is coming, or its end."""

    kind: Literal["searching", "reading", "token", "done", "error"]
    text: str = ""
    articles: int = 0
    answer: Answer | None = None
    standalone: str = ""
    error: BaseException | None = None


def progress_label(step: Step) -> str:
    if step.kind == "reading":
        return f"Reading {step.articles} {'article' if step.articles == 1 else 'articles'}…"
    return "Searching the corpus…"


def run_with_steps(run: Callable[[], tuple[Answer, str]], on_step: Callable[[Step], None]) -> None:
    """Call ``run()`` (an ``ask_followup`` call), reporting what it does from its LangChain events;
    the last step is "done" (with the answer) or "error".

    Retrieval's end gives the number of articles read; a chat model's tokens after it are the
    answer's draft (a follow-up rewrite's tokens come before retrieval and are not shown).
    """
    from langchain_core.runnables import RunnableLambda

    chain = RunnableLambda(lambda _: run(), name=CHAIN_NAME)

    async def pump() -> None:
        read = False
        async for event in chain.astream_events(None, version="v2"):
            step = _step_of(event, read)
            if step is not None:
                read = read or step.kind == "reading"
                on_step(step)

    on_step(Step("searching"))
    try:
        asyncio.run(pump())
    except Exception as exc:
        on_step(Step("error", text=str(exc), error=exc))


def _step_of(event: dict[str, Any], read: bool) -> Step | None:
    kind, data = event["event"], event.get("data") or {}
    if kind == "on_chain_end":
        output = data.get("output")
        if event.get("name") == CHAIN_NAME and isinstance(output, tuple):
            answer, standalone = output
            return Step("done", answer=answer, standalone=standalone)
        if isinstance(output, dict) and isinstance(output.get("evidence"), list):
            return Step("reading", articles=len({ev.article_id for ev in output["evidence"]}))
    if kind == "on_chat_model_stream" and read:
        text = getattr(data.get("chunk"), "content", "")
        if isinstance(text, str) and text:
            return Step("token", text=text)
    return None


class AnswerJob:
    """One question answered in a background thread; every step is kept, so any page run (the one
    that asked, or the rerun that replaced it) can follow it from the start. The result goes into
    ``turn`` when it is ready, followed or not."""

    def __init__(self, turn: dict[str, Any], run: Callable[[], tuple[Answer, str]]) -> None:
        self.turn = turn
        self.steps: list[Step] = []
        self.finished = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._work, args=(run,), daemon=True, name="newsbrief-answer")
        self._thread.start()

    def _work(self, run: Callable[[], tuple[Answer, str]]) -> None:
        try:
            run_with_steps(run, self._add)
        finally:
            if "answer" not in self.turn and "error" not in self.turn:
                self.turn["error"] = "The answer stopped without a result; ask again."
            with self._changed:
                self.finished = True
                self._changed.notify_all()

    def _add(self, step: Step) -> None:
        if step.kind == "done":  # into the conversation first: a reader of the steps finds it there
            self.turn.update(answer=step.answer, standalone=step.standalone)
        elif step.kind == "error":
            self.turn["error"] = _error_message(step.error)
        with self._changed:
            self.steps.append(step)
            self._changed.notify_all()

    def follow(self, timeout: float = 600.0) -> Iterator[Step]:
        """Every step so far, then each new one as it comes, until the job is finished."""
        seen = 0
        while True:
            with self._changed:
                if seen >= len(self.steps) and not self.finished:
                    self._changed.wait(timeout)
                new, finished = self.steps[seen:], self.finished
            seen += len(new)
            yield from new
            if finished and seen >= len(self.steps):
                return


def _error_message(error: BaseException | None) -> str:
    if isinstance(error, ValueError):  # e.g. a "since" date after the "as of" date, an unknown source
        return str(error)
    return f"The answer failed ({type(error).__name__}: {error})."


# ---------------------------------------------------------------- the conversation in session state


def current_filters() -> dict[str, str | None]:
    """The sidebar's filters as they are now (read by the chat input's callback)."""
    state = st.session_state
    as_of = state.get("as_of") if state.get("use_as_of") else None
    since = state.get("since") if state.get("use_since") else None
    source = state.get("source")
    return {
        "as_of": as_of.isoformat() if isinstance(as_of, date) else None,
        "since": since.isoformat() if isinstance(since, date) else None,
        "source": None if source in (None, "(all)") else str(source),
    }


def queue_question() -> None:
    """The chat input's callback: the question joins the conversation before the script runs."""
    question = st.session_state.get(QUESTION)
    if isinstance(question, str) and question.strip():
        st.session_state.setdefault(HISTORY, []).append({"question": question, "filters": current_filters()})


def earlier_turns(history: Sequence[dict[str, Any]], index: int) -> list[Turn]:
    """The answered turns before ``history[index]``, as the conversation module wants them."""
    turns = [
        Turn.from_answer(t["question"], t.get("standalone") or t["question"], t["answer"])
        for t in history[:index]
        if t.get("answer") is not None
    ]
    return turns[-MAX_TURNS:]


_JOBS = threading.Lock()  # two page runs of one session (a fast rerun) never start two jobs for one turn


def job_for(store: Store, settings: Settings, history: list[dict[str, Any]], index: int) -> AnswerJob:
    """The job answering ``history[index]``: the one already running, else a new one."""
    turn = history[index]
    with _JOBS:
        job = turn.get("job")
        if job is None:
            job = turn["job"] = start_job(store, settings, turn, earlier_turns(history, index))
    return job


def start_job(store: Store, settings: Settings, turn: dict[str, Any], turns: list[Turn]) -> AnswerJob:
    filters = turn.get("filters") or {}

    def run() -> tuple[Answer, str]:
        return ask_followup(
            store,
            settings,
            turn["question"],
            turns,
            as_of=filters.get("as_of"),
            source=filters.get("source"),
            since=filters.get("since"),
        )

    return AnswerJob(turn, run)


# ---------------------------------------------------------------- showing it


def show_answer(store: Store, answer: Answer, standalone: str) -> None:
    if answer.abstained:
        st.warning("**Not found in the corpus.** " + escape(answer.answer))
        return
    st.markdown(escape(answer.answer))
    if standalone and standalone != answer.question:
        st.caption(f"understood as: {escape(standalone)}")  # a wrong rewrite is visible (quoted as text)
    article_sources(store, answer.citations)  # inline: an open source never covers the chat input


def show_turn(store: Store, turn: dict[str, Any]) -> None:
    if turn.get("error"):
        st.error(escape(turn["error"]))
    else:
        show_answer(store, turn["answer"], turn.get("standalone", ""))


def follow_job(job: AnswerJob) -> None:
    """Progress, then the draft as it is written, until the job is done (the caller then shows it)."""
    progress, draft = st.empty(), st.empty()
    written = ""
    for step in job.follow():
        if step.kind in ("searching", "reading"):
            progress.caption(progress_label(step))
        elif step.kind == "token":
            written += step.text
            progress.caption("Writing… (the citations are checked when it is done)")
            draft.markdown(escape(written) + " ▌")
    progress.empty()
    draft.empty()


def page(settings: Settings, store: Store, sources: list[str]) -> None:
    st.title("Ask the news")
    use_as_of = st.sidebar.checkbox("Only articles up to a date", key="use_as_of")
    if use_as_of:
        st.sidebar.date_input("As of", value=date.today(), min_value=EARLIEST, key="as_of")
    use_since = st.sidebar.checkbox("Only articles from a date", key="use_since")
    if use_since:
        st.sidebar.date_input("Since", value=date(2004, 1, 1), min_value=EARLIEST, key="since")
    st.sidebar.selectbox("Source", ["(all)", *sources], key="source")
    history: list[dict[str, Any]] = st.session_state.setdefault(HISTORY, [])
    if history and st.sidebar.button("New conversation", key="forget"):
        history.clear()
    if not history:
        st.caption(
            "Answers quote the articles; open a source under an answer to see the exact sentence in "
            f"context. Try: {EXAMPLES}"
        )
    # The input first: a question sent while an answer below is still coming is queued at once.
    st.chat_input("Ask a question, e.g. What did Motegi plan to raise?", key=QUESTION, on_submit=queue_question)
    for index, turn in enumerate(list(history)):
        with st.chat_message("user"):
            st.markdown(escape(turn["question"]))
        with st.chat_message("assistant"):
            if "answer" not in turn and "error" not in turn:
                follow_job(job_for(store, settings, history, index))
            turn.pop("job", None)
            show_turn(store, turn)
