"""Two-step questions: a thing named by a description is asked about first (rag.bridge)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer import ask
from rag.bridge import bridged, find_bridge
from rag.evaluate import citation_is_valid
from rag.types import Answer, Citation, ShortAnswer

JOBS = "Who succeeded the Apple co-founder who died in October 2011?"


@pytest.mark.parametrize(
    ("question", "phrase", "asked"),
    [
        (
            JOBS,
            "the Apple co-founder who died in October 2011",
            "Who was the Apple co-founder who died in October 2011?",
        ),
        (
            "Which horror film challenged the comedy that took $44.7 million over Christmas?",
            "the comedy that took $44.7 million over Christmas",
            "Which comedy took $44.7 million over Christmas?",
        ),
    ],
)
def test_a_description_is_asked_about_first(question: str, phrase: str, asked: str) -> None:
    bridge = find_bridge(question)
    assert bridge is not None and (bridge.phrase, bridge.question) == (phrase, asked)
    assert bridge.put(question, "Steve Jobs") == question.replace(phrase, "Steve Jobs")


@pytest.mark.parametrize(
    "question",
    [
        "Who was the Chinese foreign minister who visited Tokyo in November 2020?",  # asks what it describes
        "What was the name of the Airbus plan that followed the A380 delays?",
        "Which company bought a maker that builds tankers?",  # "a maker" describes no one thing
        "The drone strike killed the world's most wanted terrorist, who was associated with which group?",
        "Which firm did DaimlerChrysler sell the Chrysler Group to?",  # no description at all
    ],
)
def test_no_second_step_where_none_is_meant(question: str) -> None:
    assert find_bridge(question) is None


def _answer(question: str, short: str | None, quote: str = "A quote.") -> Answer:
    if short is None:
        return Answer(question, "Not found in any article.", True)
    citation = Citation(1, f"doc-{short}", "Title", "Wire", "2011-10-06", quote, 0, len(quote))
    return Answer(
        question,
        f"{short}. “{quote}” [1]",
        False,
        (citation,),
        short_answer=ShortAnswer(short, 1, citation.doc_id, 0, 5),
    )


def test_both_steps_are_cited_and_a_missing_step_keeps_the_decline() -> None:
    declined = _answer(JOBS, None)
    asked: list[str] = []

    def steps(question: str) -> Answer:
        asked.append(question)
        return _answer(question, "Steve Jobs" if question.startswith("Who was") else "Tim Cook")

    answer = bridged(JOBS, declined, steps)
    assert asked == ["Who was the Apple co-founder who died in October 2011?", "Who succeeded Steve Jobs?"]
    assert answer.question == JOBS and not answer.abstained and answer.short_answer.text == "Tim Cook"
    assert [c.n for c in answer.citations] == [1, 2] and answer.citations[1].doc_id == "doc-Steve Jobs"
    assert answer.answer.endswith(
        "(Reading “the Apple co-founder who died in October 2011” as Steve Jobs: “A quote.” [2])"
    )
    # the first step, or the second, not answered: the decline stands
    assert bridged(JOBS, declined, lambda q: _answer(q, None)) is declined
    assert (
        bridged(JOBS, declined, lambda q: _answer(q, None if q.startswith("Who succeeded") else "Steve Jobs"))
        is declined
    )
    # an answered question is never asked again
    answered = replace(declined, abstained=False)
    assert bridged(JOBS, answered, lambda q: pytest.fail("asked again")) is answered


def test_the_apple_successor_is_found_in_two_steps(bundled_store, bundled_settings) -> None:
    """No article calls Steve Jobs "the Apple co-founder who died in October 2011" where it names his successor."""
    question = "Who succeeded the Apple co-founder who died in October 2011 as the company's CEO?"
    answer = ask(bundled_store, bundled_settings, question)
    assert not answer.abstained and answer.short_answer.text == "Tim Cook"
    assert "as Steve Jobs:" in answer.answer
    assert all(citation_is_valid(bundled_store, c) for c in answer.citations)
    assert {c.title for c in answer.citations} >= {"Apple Inc. co-founder Steve Jobs dies aged 56"}
