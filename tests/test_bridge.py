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
        (JOBS, "the Apple co-founder who died in October 2011", "Which Apple co-founder died in October 2011?"),
        # the role is the main event's: "succeeded … as the company's CEO"
        (
            "Who succeeded the Apple co-founder who died in October 2011 as the company's CEO?",
            "the Apple co-founder who died in October 2011",
            "Which Apple co-founder died in October 2011?",
        ),
        (
            "Which horror film challenged the comedy that took $44.7 million over Christmas for the top spot?",
            "the comedy that took $44.7 million over Christmas",
            "Which comedy took $44.7 million over Christmas?",
        ),
        # a describing noun of no known kind keeps "who": "Who was the economist who …?"
        (
            "What did the newspaper say about the economist who predicted the crash?",
            "the economist who predicted the crash",
            "Who was the economist who predicted the crash?",
        ),
        # "that paid for": the clause's only argument stays in it
        (
            "Which company bought the firm that paid for the ads?",
            "the firm that paid for the ads",
            "Which firm paid for the ads?",
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
        # the description refers to the asked-for thing
        "Voters in which state struck down an amendment to the state's constitution that would have outlawed abortion?",
        # misparsed: the clause swallows the main verb
        "When did the company that makes the iPhone release the iPad?",
        "What did the Apple co-founder who died in October 2011 invent?",
    ],
)
def test_no_second_step_where_none_is_meant(question: str) -> None:
    assert find_bridge(question) is None


def _answer(question: str, short: str | None, *quotes: str) -> Answer:
    if short is None:
        return Answer(question, "Not found in any article.", True)
    quotes = quotes or (f"{short} did it.",)
    citations = tuple(
        Citation(n, "doc-1", "Title", "Wire", "2011-10-06", quote, 0, len(quote)) for n, quote in enumerate(quotes, 1)
    )
    text = f"{short}. " + " ".join(f"“{c.quote}” [{c.n}]" for c in citations)
    return Answer(question, text, False, citations, short_answer=ShortAnswer(short, 1, "doc-1", 0, len(short)))


DIED = "Apple Inc. co-founder Steve Jobs has died."


def test_both_steps_are_cited_and_a_missing_step_keeps_the_decline() -> None:
    declined = _answer(JOBS, None)
    asked: list[str] = []

    def steps(question: str) -> Answer:
        asked.append(question)
        return _answer(question, "Steve Jobs", DIED) if question.startswith("Which") else _answer(question, "Tim Cook")

    answer = bridged(JOBS, declined, steps)
    assert asked == ["Which Apple co-founder died in October 2011?", "Who succeeded Steve Jobs?"]
    assert answer.question == JOBS and not answer.abstained and answer.short_answer.text == "Tim Cook"
    assert [c.n for c in answer.citations] == [1, 2] and answer.citations[1].quote == DIED
    assert answer.answer.endswith(
        f"(Reading “the Apple co-founder who died in October 2011” as Steve Jobs: “{DIED}” [2])"
    )
    # the first step, or the second, not answered: the decline stands
    assert bridged(JOBS, declined, lambda q: _answer(q, None)) is declined
    assert (
        bridged(JOBS, declined, lambda q: _answer(q, None if q.startswith("Who") else "Steve Jobs", DIED)) is declined
    )
    # an answered question is never asked again
    answered = replace(declined, abstained=False)
    assert bridged(JOBS, answered, lambda q: pytest.fail("asked again")) is answered


@pytest.mark.parametrize(
    "quotes",
    [
        ("Steve Jobs spoke at the launch.",),  # names the answer, describes nothing
        ("Microsoft co-founder Bill Gates praised Steve Jobs.",),  # names the answer beside another company
        ("Steve Jobs led Apple.", "An Apple founder joined the board."),  # Apple, but no one died
    ],
)
def test_a_first_step_that_does_not_describe_its_answer_keeps_the_decline(quotes: tuple[str, ...]) -> None:
    declined = _answer(JOBS, None)
    answer = bridged(
        JOBS, declined, lambda q: _answer(q, "Steve Jobs", *quotes) if q.startswith("Which") else _answer(q, "X")
    )
    assert answer is declined


def test_an_amount_describes_without_the_verb_and_both_quotes_are_cited() -> None:
    """ "That movie raked in $44.7 million" describes "the comedy that took $44.7 million"; another
    quote of its article names it."""
    question = "Which horror film challenged the comedy that took $44.7 million over Christmas?"
    named, described = "Fockers is being shown in 3,524 venues.", "That movie raked in $44.7 million."

    def steps(q: str) -> Answer:
        return _answer(q, "Fockers", named, described) if q.startswith("Which comedy") else _answer(q, "White Noise")

    answer = bridged(question, _answer(question, None), steps)
    assert answer.short_answer.text == "White Noise"
    assert [c.quote for c in answer.citations] == ["White Noise did it.", named, described]


def test_the_apple_successor_is_found_in_two_steps(bundled_store, bundled_settings) -> None:
    """No article calls Steve Jobs "the Apple co-founder who died in October 2011" where it names his successor."""
    question = "Who succeeded the Apple co-founder who died in October 2011 as the company's CEO?"
    answer = ask(bundled_store, bundled_settings, question)
    assert not answer.abstained and answer.short_answer.text == "Tim Cook"
    assert "(Reading “the Apple co-founder who died in October 2011” as Steve Jobs:" in answer.answer
    assert all(citation_is_valid(bundled_store, c) for c in answer.citations)
    assert {c.title for c in answer.citations} >= {"Apple Inc. co-founder Steve Jobs dies aged 56"}
    # no Microsoft co-founder died then: the first step's article describes another, so no answer
    wrong = ask(
        bundled_store, bundled_settings, question.replace("Apple", "Microsoft").replace(" as the company's CEO", "")
    )
    assert wrong.abstained


def test_the_noun_s_names_may_be_in_the_headline_but_the_clause_s_must_be_in_the_quote() -> None:
    bridge = find_bridge("Who replaced the General Motors chief executive who was appointed by the government in 2009?")
    assert bridge is not None and bridge.names == ("General", "Motors") and bridge.verb == "appoint"
    said = "She replaces Daniel Akerson, who was appointed by the government as chief executive in 2009."
    assert bridge.describes(said, "Mary Barra appointed as General Motors chief")
    assert not bridge.describes(said, "Mary Barra appointed as Ford chief")  # another company's
    assert not bridge.describes("General Motors named Daniel Akerson.", "General Motors")  # not appointed by …


def test_a_describing_quote_about_someone_else_keeps_the_decline() -> None:
    """ "Jobs died on Wednesday" describes Jobs, not the Tim Cook the first step answered."""
    declined = _answer(JOBS, None)
    quotes = ("Tim Cook became chief executive in August.", "Jobs died on Wednesday, his family said. Apple mourned.")

    def steps(q: str) -> Answer:
        return _answer(q, "Tim Cook", *quotes) if q.startswith("Which") else _answer(q, "X")

    assert bridged(JOBS, declined, steps) is declined
