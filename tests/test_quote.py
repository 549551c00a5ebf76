"""Sentences a reader can follow out of their article: datelines, relative dates, context (rag/quote.py)."""

from __future__ import annotations

from datetime import date

import pytest

from rag.quote import (
    after_lead_in,
    check_day,
    common_words,
    context_need,
    date_notes,
    dateline_end,
    known_date,
    shown_as,
    stands_alone,
    undated_day_words,
    with_dates,
    without_editor_brackets,
)

THURSDAY = date(2004, 11, 18)


@pytest.mark.parametrize(
    ("sentence", "proper"),
    [
        ("BRASÍLIA, Brazil – The president met his Vietnamese counterpart.", "The president"),
        ("November 18, USA - William Henry Gates III receives four million emails.", "William Henry"),
        ("(CNN) — The popular rideshare company Lyft has agreed to a settlement.", "The popular"),
        ("(CNN) The popular rideshare company Lyft has agreed to a settlement.", "The popular"),
        ("New York CNN Business — Stocks fell sharply on Monday.", "Stocks fell"),
        ("New York (CNN Business) Stocks fell sharply on Monday.", "Stocks fell"),
        ("ST. PETERSBURG, Fla. (AP) — A man was arrested on Friday.", "A man"),
        ("WASHINGTON — The Senate passed the bill.", "The Senate"),
        ("Lviv, Ukraine (CNN) Russian forces shelled the city.", "Russian forces"),
        ("November 17, Brisbane, Australia - The Australian cricket team talked up its chances.", "The Australian"),
    ],
)
def test_dateline_end_finds_the_sentence_proper(sentence: str, proper: str) -> None:
    cut = dateline_end(sentence)
    assert cut > 0 and sentence[cut:].startswith(proper)


@pytest.mark.parametrize(
    "sentence",
    [
        "Bill Gates - the founder - said the product would ship.",
        "Trisha Yearwood — she sang it first.",
        "Last fall, Ben Kennedy — a rookie — won the race.",
        "The council met on Monday.",
        "Kmart - the retailer - will buy Sears.",
    ],
)
def test_no_dateline_is_found_in_ordinary_sentences(sentence: str) -> None:
    assert dateline_end(sentence) == 0


@pytest.mark.parametrize(
    ("sentence", "published", "shown"),
    [
        (
            "Jim Taricani was convicted of criminal contempt Thursday for not revealing his source.",
            THURSDAY,
            "Jim Taricani was convicted of criminal contempt Thursday [18 Nov 2004] for not revealing his source.",
        ),
        (
            "The European Parliament gave them the green light to start their term starting on Monday.",
            THURSDAY,
            "The European Parliament gave them the green light to start their term starting on Monday [22 Nov 2004].",
        ),
        (
            "The video was launched today (Thursday) on several channels.",
            THURSDAY,
            "The video was launched today (Thursday) [18 Nov 2004] on several channels.",
        ),
        (
            "The Macedonian parliament will meet on Thursday to decide.",
            date(2004, 11, 15),
            "The Macedonian parliament will meet on Thursday [18 Nov 2004] to decide.",
        ),
        (
            "The minister resigned on Monday after a vote.",
            THURSDAY,
            "The minister resigned on Monday [15 Nov 2004] after a vote.",
        ),
        (
            "Police said the man was arrested yesterday and will appear in court tomorrow.",
            THURSDAY,
            "Police said the man was arrested yesterday [17 Nov 2004] and will appear in court tomorrow [19 Nov 2004].",
        ),
        (
            "Sales rose last year and will rise again next month.",
            THURSDAY,
            "Sales rose last year [in 2003] and will rise again next month [Dec 2004].",
        ),
    ],
)
def test_relative_dates_get_an_editors_bracket(sentence: str, published: date, shown: str) -> None:
    assert with_dates(sentence, published) == shown
    assert without_editor_brackets(shown) == sentence  # the quoted words are untouched


@pytest.mark.parametrize(
    "sentence",
    [
        "The delegation returned today, November 13, 2004.",  # already dated
        "He resigned as of Monday, November 15.",
        "Shoppers flocked to the stores on Black Friday.",  # a named day, not a date
        "He told USA Today that he would stay.",  # a newspaper
        "The committee met on Tuesday [16 Nov 2004] to vote.",  # already bracketed
    ],
)
def test_no_bracket_where_the_date_is_already_said_or_meant_otherwise(sentence: str) -> None:
    assert with_dates(sentence, THURSDAY) == sentence


def test_no_bracket_when_the_date_cannot_be_known() -> None:
    sentence = "The company was sold last year and the deal closed on Monday."
    assert with_dates(sentence, None) == sentence
    assert known_date("", "") is None  # undated
    assert known_date("2019-05-06", "file-time") is None  # a file's time is not a publication date
    assert known_date("2004-11-18", "text") == THURSDAY
    assert undated_day_words(sentence) == ["on Monday"]  # the bench counts these in dated articles
    assert undated_day_words(with_dates(sentence, THURSDAY)) == []
    assert [n.day_word for n in date_notes(sentence, THURSDAY)] == [False, True]


@pytest.mark.parametrize(
    ("sentence", "need"),
    [
        ("He said the plan would fail.", "pronoun"),
        ("They left the city on foot.", "pronoun"),
        ("This is expected to be the first release since Windows XP.", "pronoun"),
        ("The move angered officials in Beijing.", "pronoun"),
        ("In a statement, he said the attack was wrong.", "pronoun"),
        ("Boeing had hoped to have their's ready by 2008.", "pronoun"),
        ("However, the plan failed.", "connective"),
        ("The global beta version of MSN Search is available here.", "absent"),
        ("See below for the full list of winners.", "absent"),
        ("The minister, pictured, arrived late.", "absent"),
        ("Photo: The minister arrives in Tokyo.", "caption"),
        ("By John Smith", "byline"),
        ("Was anyone hurt in the quake?", "question"),
    ],
)
def test_sentences_that_lean_on_others(sentence: str, need: str) -> None:
    assert context_need(sentence) == need
    assert not stands_alone(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The European Parliament voted in favour of the Commissioners.",
        "There had been fears that Longhorn would not ship until 2007.",
        "It is unclear whether the talks will resume.",
        '"We will win this," said Jane Smith.',
        "Those who attended were pleased with the result.",
        "Heathrow reopened after the storm.",
    ],
)
def test_sentences_that_stand_alone(sentence: str) -> None:
    assert context_need(sentence) is None


def test_lead_in_lowers_ordinary_words_and_keeps_names() -> None:
    common = common_words("the plane flew over the television mast", frozenset({"the", "a"}))
    assert after_lead_in("In April 2005,", "The A380 flew.", common) == "In April 2005, the A380 flew."
    assert after_lead_in("Elsewhere,", "Television reporter Jim Taricani was convicted.", common).startswith(
        "Elsewhere, television reporter"
    )
    assert after_lead_in("In January 2005,", "Airbus unveiled the A380.", common).startswith("In January 2005, Airbus")
    assert after_lead_in("Meanwhile,", "Serge Vohor was accused.", common) == "Meanwhile, Serge Vohor was accused."
    assert after_lead_in("Also,", "MSN Search was released.", common) == "Also, MSN Search was released."
    assert shown_as("The A380 flew on Monday.", "In April 2005, the A380 flew on Monday [25 Apr 2005]. [2]")
    assert not shown_as("The A380 crashed.", "In April 2005, the A380 flew. [2]")


def test_check_day_says_what_is_wrong() -> None:
    assert check_day("2004-11-18") == "2004-11-18"
    assert check_day(" 2004-02-29 ") == "2004-02-29"
    with pytest.raises(ValueError, match=r"2004-02-30: that day does not exist \(February 2004 has 29 days\)"):
        check_day("2004-02-30")
    with pytest.raises(ValueError, match="there is no month 13"):
        check_day("2004-13-01")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        check_day("next Tuesday")
