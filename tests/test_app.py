"""The Streamlit app, driven headlessly with AppTest: the chat page and the briefing-note page.

The app escapes article text as literal Markdown (``\\[1\\]``), so checks on rendered Markdown go
through :func:`shown`, which drops the escaping backslashes the browser would not display.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
WION_TITLE = "China's foreign minister visits Japan"
MOTEGI_QUESTION = "What did Motegi plan to raise?"
UNANSWERABLE = "Who won the 2030 FIFA World Cup final?"

_ESCAPE = re.compile(r"\\(.)")
# Markdown that would turn into formatting, links or HTML if it reached the page unescaped.
_UNESCAPED = re.compile(r"(?<!\\)[<>*\[\]()#`]")

HOSTILE_TITLE = "Zanzibar **ferry** [click me](http://evil.example/title) <b>news</b>"
HOSTILE_BODY = (
    "The Zanzibar ferry operator announced a new timetable <img src=x onerror=alert(1)> for the harbour "
    "route [click here](http://evil.example/phish). The timetable starts on Monday with **six** daily crossings."
)


def shown(markdown: str) -> str:
    """Markdown source as the reader sees it: ``\\[1\\]`` → ``[1]``."""
    return _ESCAPE.sub(r"\1", markdown)


@pytest.fixture(scope="module", autouse=True)
def _fresh_store_cache() -> Iterator[None]:
    """``get_store`` is an ``st.cache_resource`` shared by every AppTest in this process: make sure
    it opens *our* store (NEWSBRIEF_HOME), and leave no store of ours behind for other modules."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, bundled_settings: Settings) -> AppTest:
    monkeypatch.setenv("NEWSBRIEF_HOME", str(bundled_settings.home))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def assistant_text(at: AppTest) -> str:
    messages = [m for m in at.chat_message if m.name == "assistant"]
    assert messages, "no assistant message"
    return " ".join(shown(md.value) for md in messages[-1].markdown)


def open_briefing_page(at: AppTest, mode: str) -> AppTest:
    at.sidebar.radio(key="page").set_value("Briefing note").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.main.title] == ["Briefing note"]
    at.radio(key="brief_mode").set_value(mode).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_chat_page_loads(app: AppTest) -> None:
    assert [t.value for t in app.main.title] == ["Ask the news"]
    assert app.sidebar.radio(key="page").value == "Chat"
    assert len(app.chat_input) == 1
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "206 articles in the store" in captions, captions


def test_chat_answers_with_a_cited_source(app: AppTest) -> None:
    ask(app, MOTEGI_QUESTION)

    users = [m for m in app.chat_message if m.name == "user"]
    assert [shown(m.markdown[0].value) for m in users] == [MOTEGI_QUESTION]
    answer = assistant_text(app)
    assert "East China Sea" in answer
    assert "[1]" in answer

    labels = [e.label for e in app.expander]
    assert any(shown(label).startswith("[1] ") and WION_TITLE in label and "WION" in label for label in labels), labels
    wion = next(e for e in app.expander if WION_TITLE in e.label)
    quote = shown(wion.markdown[0].value)
    assert quote.startswith("> ")
    assert "Motegi would also raise concerns" in quote
    assert "East China Sea" in quote

    # The turn is kept in the history and shown again on the next rerun.
    app.run()
    assert not app.exception
    assert "East China Sea" in assistant_text(app)
    assert any(WION_TITLE in e.label for e in app.expander)


def test_chat_abstains_when_the_corpus_has_no_answer(app: AppTest) -> None:
    ask(app, UNANSWERABLE)

    answer = assistant_text(app)
    assert "could not find" in answer, answer
    assert "East China Sea" not in answer
    assert not app.expander, [e.label for e in app.expander]


def test_briefing_note_for_a_date(app: AppTest) -> None:
    open_briefing_page(app, "Date")
    assert app.date_input(key="brief_day").value == date(2004, 11, 18)

    app.button(key="brief_go").click().run()
    assert not app.exception, [e.message for e in app.exception]

    paragraphs = [shown(md.value) for md in app.markdown if "[1]" in shown(md.value)]
    assert len(paragraphs) == 1, [md.value for md in app.markdown]
    assert "[2]" in paragraphs[0]
    labels = [e.label for e in app.expander]
    assert labels and shown(labels[0]).startswith("[1] "), labels
    assert all("2004-11-18" in label for label in labels), labels
    assert not app.info, [i.value for i in app.info]


def test_briefing_note_for_a_topic(app: AppTest) -> None:
    open_briefing_page(app, "Topic")

    # An empty topic is refused politely.
    app.button(key="brief_go").click().run()
    assert not app.exception
    assert [w.value for w in app.warning] == ["Type a topic first."]

    app.text_input(key="brief_topic").input("Japan China relations")
    app.button(key="brief_go").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert not app.warning

    paragraphs = [shown(md.value) for md in app.markdown if "[1]" in shown(md.value)]
    assert len(paragraphs) == 1, [md.value for md in app.markdown]
    assert "Japan" in paragraphs[0] and "China" in paragraphs[0]
    labels = [e.label for e in app.expander]
    assert labels and shown(labels[0]).startswith("[1] "), labels
    assert any(WION_TITLE in label for label in labels) or any("Japan" in label for label in labels), labels


def test_hostile_question_is_shown_as_text(app: AppTest) -> None:
    """A question full of Markdown/HTML is echoed escaped, so it renders literally."""
    hostile = "<script>alert(1)</script> **bold** [x](http://evil.example) # heading"
    ask(app, hostile)

    users = [m for m in app.chat_message if m.name == "user"]
    source = users[-1].markdown[0].value
    assert shown(source) == hostile
    assert not _UNESCAPED.findall(source), source


@pytest.fixture
def hostile_app(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppTest]:
    """The app over a one-article store whose title and body are full of Markdown and HTML."""
    from rag.index import ingest_paths
    from rag.settings import load_settings

    corpus = tmp_path_factory.mktemp("hostile-corpus")
    record = {
        "id": "evil-1",
        "title": HOSTILE_TITLE,
        "source": "Evil Gazette",
        "published_at": "2004-11-18",
        "url": "http://evil.example/a",
        "body": HOSTILE_BODY,
    }
    (corpus / "evil.json").write_text(json.dumps(record), encoding="utf-8")
    home = tmp_path_factory.mktemp("hostile-store")
    report = ingest_paths([corpus], load_settings(home=home))
    assert report.failed == 0, report.errors

    monkeypatch.setenv("NEWSBRIEF_HOME", str(home))
    st.cache_resource.clear()  # get_store() must open the hostile store, not the bundled one
    try:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        ask(at, "What did the Zanzibar ferry operator announce?")
        yield at
    finally:
        st.cache_resource.clear()  # and the next test gets its own store again


def test_hostile_article_text_is_shown_as_text(hostile_app: AppTest) -> None:
    answer = [m for m in hostile_app.chat_message if m.name == "assistant"][-1].markdown[0].value
    assert "Zanzibar ferry operator" in answer
    assert not _UNESCAPED.findall(answer), answer
    (source,) = hostile_app.expander
    quote = source.markdown[0].value
    assert "<img src=x onerror=alert(1)>" in shown(quote)
    assert not _UNESCAPED.findall(quote.removeprefix("> ")), quote


def test_hostile_article_title_is_shown_as_text(hostile_app: AppTest) -> None:
    (source,) = hostile_app.expander
    label = source.label
    assert HOSTILE_TITLE in shown(label)
    title_part = re.sub(r"^\\?\[\d+\\?\] ", "", label)
    assert not _UNESCAPED.findall(title_part), label
