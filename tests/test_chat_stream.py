"""The chat's answers as they happen: real progress, the model's tokens as they arrive, and the very
same checked answer as without streaming (citations and support checks untouched)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from rag.conversation import ask_followup
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `ui/` sits next to app.py

from ui.chat import AnswerJob, Step, progress_label, run_with_steps  # noqa: E402

MOTEGI = "What did Motegi plan to raise?"


def steps_of(run) -> list[Step]:
    steps: list[Step] = []
    run_with_steps(run, steps.append)
    return steps


def test_extractive_answers_report_searching_then_reading_then_the_answer(bundled_store, bundled_settings) -> None:
    steps = steps_of(lambda: ask_followup(bundled_store, bundled_settings, MOTEGI, []))
    kinds = [s.kind for s in steps]
    assert kinds[0] == "searching" and kinds[-1] == "done" and "reading" in kinds, kinds
    assert kinds.index("reading") < kinds.index("done")
    assert "token" not in kinds  # nothing is "written" by the extractive answerer: it quotes
    reading = next(s for s in steps if s.kind == "reading")
    assert 1 <= reading.articles <= bundled_settings.k
    assert progress_label(reading) == f"Reading {reading.articles} articles…"
    assert progress_label(steps[0]) == "Searching the corpus…"
    done = steps[-1]
    plain, standalone = ask_followup(bundled_store, bundled_settings, MOTEGI, [])
    assert done.answer == plain and done.standalone == standalone  # the same answer, the same citations


def test_openai_tokens_stream_as_they_arrive_and_the_answer_is_checked_as_without(
    bundled_store, bundled_settings: Settings, llm
) -> None:
    settings = bundled_settings.with_(llm="openai")
    steps = steps_of(lambda: ask_followup(bundled_store, settings, MOTEGI, []))
    kinds = [s.kind for s in steps]
    tokens = [s.text for s in steps if s.kind == "token"]
    assert len(tokens) > 3, kinds  # word by word, not one block
    assert kinds.index("reading") < kinds.index("token") < kinds.index("done")
    streamed = [r for r in llm.chat_requests if r.body.get("stream")]
    assert streamed, "the model was not asked to stream"
    draft = "".join(tokens)
    assert "East China Sea" in draft and "[" in draft  # the model's own words, markers and all
    done = steps[-1]
    assert done.kind == "done" and "East China Sea" in done.answer.answer
    plain, _ = ask_followup(bundled_store, settings, MOTEGI, [])  # not streamed
    assert done.answer.answer == plain.answer
    assert [(c.doc_id, c.start, c.end, c.supported) for c in done.answer.citations] == [
        (c.doc_id, c.start, c.end, c.supported) for c in plain.citations
    ]


def test_a_failing_answer_ends_with_an_error_step() -> None:
    def broken():
        raise ValueError("--since 2020-01-02 is after --as-of 2020-01-01: no article can match")

    steps = steps_of(broken)
    assert [s.kind for s in steps] == ["searching", "error"]
    assert "no article can match" in steps[-1].text


def test_a_job_puts_its_result_in_the_turn_and_replays_every_step_to_each_follower(
    bundled_store, bundled_settings
) -> None:
    release = threading.Event()

    def run():
        assert release.wait(60)
        return ask_followup(bundled_store, bundled_settings, MOTEGI, [])

    turn: dict = {"question": MOTEGI}
    job = AnswerJob(turn, run)
    first = job.follow()
    assert next(first).kind == "searching"  # shown at once, before any work is done
    release.set()
    rest = list(first)
    again = list(job.follow())  # a later page run (the one a new question started) sees it all
    assert [s.kind for s in again] == ["searching", *[s.kind for s in rest]]
    assert again[-1].kind == "done" and turn["answer"] == again[-1].answer and "error" not in turn


def test_a_job_that_fails_says_why_in_the_turn() -> None:
    def broken():
        raise ValueError("no articles from source 'Nowhere' in the store")

    turn: dict = {"question": MOTEGI}
    steps = list(AnswerJob(turn, broken).follow())
    assert steps[-1].kind == "error"
    assert turn["error"] == "no articles from source 'Nowhere' in the store" and "answer" not in turn


@pytest.mark.parametrize("count,label", [(1, "Reading 1 article…"), (4, "Reading 4 articles…")])
def test_progress_labels(count: int, label: str) -> None:
    assert progress_label(Step("reading", articles=count)) == label
