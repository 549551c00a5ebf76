"""The Streamlit app, driven headlessly with AppTest: every page (chat, briefs, daily, corpus, eval).

The app escapes article text as literal Markdown (``\\[1\\]``), so checks on rendered Markdown go
through :func:`shown`, which drops the escaping backslashes the browser would not display.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
sys.path.insert(0, str(ROOT))  # `ui/` sits next to app.py

from rag.dedup import Duplicate, encode_duplicates  # noqa: E402
from rag.types import Citation  # noqa: E402
from ui.common import cited_sources, source_names  # noqa: E402
from ui.corpus import per_source  # noqa: E402
from ui.evals import EXPLAIN, chart_metrics  # noqa: E402

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


def open_page(at: AppTest, name: str) -> AppTest:
    at.sidebar.radio(key="page").set_value(name).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_briefing_page(at: AppTest, mode: str) -> AppTest:
    open_page(at, "Briefing note")
    assert [t.value for t in at.main.title] == ["Briefing note"]
    at.radio(key="brief_mode").set_value(mode).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chips(at: AppTest) -> list[tuple[str, object]]:
    """The ``[n]`` citation chips (popovers) with their blocks, in page order."""
    return [(block.proto.popover.label, block) for block in at.get("popover")]


def highlight(block: object) -> str:
    """The source's paragraph with the quoted sentence inside ``:orange-background[**…**]``."""
    return next(md.value for md in block.markdown if ":orange-background[" in md.value)


# ---------------------------------------------------------------- Chat


def test_chat_page_loads(app: AppTest) -> None:
    assert [t.value for t in app.main.title] == ["Ask the news"]
    assert app.sidebar.radio(key="page").value == "Chat"
    assert app.sidebar.radio(key="page").options == ["Chat", "Briefing note", "Daily", "Corpus", "Eval"]
    assert len(app.chat_input) == 1
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "206 articles in the store" in captions, captions
    assert [t.value for t in app.sidebar.title] == ["newsbrief"]  # no emoji: it is a box in Debian's Chromium
    source = app.sidebar.selectbox(key="source")
    assert source.options[0] == "(all)" and "WION" in source.options, source.options


def test_chat_answers_with_clickable_citation_chips(app: AppTest) -> None:
    ask(app, MOTEGI_QUESTION)

    users = [m for m in app.chat_message if m.name == "user"]
    assert [shown(m.markdown[0].value) for m in users] == [MOTEGI_QUESTION]
    answer = assistant_text(app)
    assert "East China Sea" in answer and "[1]" in answer

    (label, source), *_ = chips(app)
    assert label == "[1]"
    assert WION_TITLE in shown(source.markdown[0].value)
    assert "WION · 2020-11-24" in shown(source.caption[0].value)
    marked = highlight(source)
    quoted = re.search(r":orange-background\[\*\*(.*?)\*\*\]", marked)
    assert quoted, marked
    assert "Motegi would also raise concerns" in shown(quoted.group(1))
    assert "Wang Yi" in shown(marked.split(":orange-background[")[0])  # the sentence sits in its context
    assert not any("characters" in c.value for c in source.caption), [c.value for c in source.caption]

    # Under the chips: every cited article once, with its markers, title, source and date.
    listed = [shown(c.value) for c in app.caption if shown(c.value).startswith("[1]")]
    assert listed, [c.value for c in app.caption]
    assert f"] {WION_TITLE}" in listed[0] and "— WION, 2020-11-24" in listed[0], listed

    # The turn is kept in the history and shown again on the next rerun.
    app.run()
    assert not app.exception
    assert "East China Sea" in assistant_text(app)
    assert chips(app)


def test_chat_says_not_found_when_the_corpus_has_no_answer(app: AppTest) -> None:
    ask(app, UNANSWERABLE)
    assert any("Not found in the corpus" in w.value for w in app.warning), [w.value for w in app.warning]
    assert "could not find" in " ".join(shown(w.value) for w in app.warning)
    assert not chips(app)


def test_chat_follow_up_uses_the_conversation(app: AppTest) -> None:
    ask(app, MOTEGI_QUESTION)
    ask(app, "And what did Wang say?")
    assert "Wang" in assistant_text(app)
    assert any("understood as" in c.value for c in app.caption)
    app.sidebar.button(key="forget").click().run()
    assert not [m for m in app.chat_message]


def test_chat_date_filter_excludes_later_news(app: AppTest) -> None:
    app.sidebar.checkbox(key="use_as_of").check().run()
    app.sidebar.date_input(key="as_of").set_value(date(2020, 11, 1)).run()
    ask(app, MOTEGI_QUESTION)
    assert any("Not found in the corpus" in w.value for w in app.warning)


# ---------------------------------------------------------------- Briefing note


def test_briefing_note_for_a_date(app: AppTest) -> None:
    open_briefing_page(app, "Date")
    assert app.date_input(key="brief_day").value == date(2004, 11, 18)

    app.button(key="brief_go").click().run()
    assert not app.exception, [e.message for e in app.exception]

    paragraphs = [shown(md.value) for md in app.main.markdown if re.search(r"\[\d\]", shown(md.value))]
    assert paragraphs, [md.value for md in app.markdown]
    assert "[1]" in paragraphs[0] and "[2]" in paragraphs[0]
    labels = [label for label, _ in chips(app)]
    assert labels[:2] == ["[1]", "[2]"], labels
    assert all("2004-11-18" in shown(block.caption[0].value) for _, block in chips(app))
    (download,) = app.get("download_button")
    assert download.proto.label == "Download Markdown"
    code = app.get("code")[0].proto.code_text
    assert code.startswith("## ") and "Sources:" in code
    assert re.search(r"^- \[1\]", code, re.MULTILINE), code  # one line per article, with its markers
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
    text = " ".join(shown(md.value) for md in app.main.markdown)
    assert "Japan" in text and "China" in text and "[1]" in text
    assert chips(app)


def test_briefing_note_for_a_date_range(app: AppTest) -> None:
    open_briefing_page(app, "Date range")
    app.date_input(key="brief_since").set_value(date(2004, 11, 17)).run()
    app.date_input(key="brief_until").set_value(date(2004, 11, 18)).run()
    app.button(key="brief_go").click().run()
    assert not app.exception, [e.message for e in app.exception]
    dates = {shown(block.caption[0].value).split(" · ")[1][:10] for _, block in chips(app)}
    assert dates and dates <= {"2004-11-17", "2004-11-18"}, dates

    app.date_input(key="brief_since").set_value(date(2004, 11, 19)).run()
    app.button(key="brief_go").click().run()
    assert [e.value for e in app.error] == ["The start date is after the end date."]


# ---------------------------------------------------------------- Daily, Corpus, Eval


def test_daily_page_shows_one_note_per_story(app: AppTest) -> None:
    open_page(app, "Daily")
    assert [t.value for t in app.main.title] == ["Daily briefs"]
    headings = [shown(h.value) for h in app.subheader]
    assert len(headings) >= 2, headings
    assert len(app.get("download_button")) == len(headings)
    assert any("stories on 2004-11-18" in c.value for c in app.caption)

    app.date_input(key="daily_day").set_value(date(1990, 1, 1)).run()
    assert [i.value for i in app.info] == ["No articles published on 1990-01-01."]


def test_corpus_page_counts_charts_and_search(app: AppTest) -> None:
    open_page(app, "Corpus")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Articles"] == "206", metrics
    assert len(app.get("arrow_vega_lite_chart")) + len(app.get("vega_lite_chart")) >= 2 or app.get("bar_chart")
    app.text_input(key="title_search").input("Arafat").run()
    (table,) = app.dataframe
    assert len(table.value) >= 1 and table.value["title"].str.contains("Arafat", case=False).all()
    assert len(table.value) < 206


def test_per_source_chart_lumps_the_small_sources_together() -> None:
    import pandas as pd

    names = [f"S{i:02d}" for i in range(20) for _ in range(20 - i)]  # S00 × 20, S01 × 19, …, S19 × 1
    counts = per_source(pd.DataFrame({"source": names}))
    assert list(counts["source"])[:3] == ["S00", "S01", "S02"]
    assert len(counts) == 16 and counts["source"].iloc[-1] == "(others)"
    assert counts["articles"].iloc[-1] == 5 + 4 + 3 + 2 + 1
    assert counts["articles"].sum() == len(names)


def test_source_filter_lists_the_sources_of_linked_copies() -> None:
    copy = Duplicate("cnn-1", "CNN", "Wire story", "", "2024-03-05", "h")
    lower = Duplicate("ap-2", "ap", "Wire story", "", "2024-03-05", "h2")
    articles = [
        {"source": "AP", "duplicates": encode_duplicates([copy, lower])},
        {"source": "Reuters", "duplicates": ""},
        {"source": "", "duplicates": "not json"},
    ]
    assert source_names(articles) == ["AP", "CNN", "Reuters"]  # the store's own spelling, once each


def test_cited_sources_lists_each_article_once_escaped() -> None:
    first = Citation(1, "d1", "A [b] *c*", "AP", "2024-03-05", "q", 0, 1, also_reported_by=("CNN",))
    second = Citation(2, "d1", "A [b] *c*", "AP", "2024-03-05", "r", 5, 6, also_reported_by=("CNN",))
    third = Citation(3, "d2", "Other", "Gazette", "2019-05-06", "s", 0, 1, date_from="file-time")
    text = cited_sources([first, second, third])
    lines = [shown(line) for line in text.split("  \n")]
    assert lines[0] == "[1][2] A [b] *c* — AP, 2024-03-05 (also reported by CNN)"
    assert lines[1].startswith("[3] Other — Gazette, 2019-05-06 (date from"), lines
    assert not _UNESCAPED.findall(text), text


def test_eval_page_runs_the_bundled_gold(app: AppTest) -> None:
    open_page(app, "Eval")
    assert app.selectbox(key="eval_file").value.name == "bundled.jsonl"
    app.button(key="eval_go").click().run(timeout=600)
    assert not app.exception, [e.message for e in app.exception]
    metrics = app.dataframe[0]
    values = dict(zip(metrics.value["metric"], metrics.value["value"], strict=True))
    assert values["citation_span_validity"] == 1.0 and values["hits@5"] >= 0.9, values
    meanings = dict(zip(metrics.value["metric"], metrics.value["meaning"], strict=True))
    assert meanings["hits@5"] == "a gold article is among the top 5 retrieved"
    assert "lower is better" in meanings["false_abstention"] and "lower is better" in meanings["seconds_per_question"]
    assert len(app.get("image")) == 1  # the chart of the higher-is-better rates
    assert not app.get("arrow_vega_lite_chart")
    (failing,) = [s.value for s in app.subheader if s.value.startswith("Failing questions")]
    count = int(re.search(r"\((\d+)\)", failing).group(1))
    assert len(app.expander) == count  # each failing question's full answer, in an expander


def test_eval_chart_holds_only_higher_is_better_rates() -> None:
    metrics = {
        "questions": 40,
        "hits@5": 0.9,
        "mrr@10": 0.8,
        "abstention_rate": 0.2,
        "false_abstention": 0.1,
        "seconds_per_question": 0.4,
        "multiple_choice_accuracy": None,
        "k": 10,
    }
    charted = chart_metrics(metrics)
    assert charted == {"hits@5": 0.9, "mrr@10": 0.8, "questions": 40, "k": 10}
    assert set(EXPLAIN) >= {"hits@5", "answer_contains_gold", "cited_article_is_gold", "citation_span_validity"}


@pytest.fixture
def empty_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AppTest]:
    """The app over an empty store of its own (uploads must not touch the shared bundled store)."""
    monkeypatch.setenv("NEWSBRIEF_HOME", str(tmp_path / "store"))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        yield at
    finally:
        st.cache_resource.clear()


def test_upload_ingests_good_files_and_names_the_bad_ones(empty_app: AppTest) -> None:
    at = open_page(empty_app, "Corpus")
    assert {m.label: m.value for m in at.metric}["Articles"] == "0"
    good = "Harbour bridge opens\nGazette\n2021-05-04\n\nThe harbour bridge opened on Tuesday, the council said.\n"
    at.file_uploader(key="uploads").set_value(
        [
            ("bridge.txt", good.encode(), "text/plain"),
            ("empty.txt", b"", "text/plain"),
            ("bad.jsonl", b"{oops\n", "application/json"),
        ]
    ).run()
    at.button(key="ingest_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    # The counts are fresh straight away (the page reruns after the ingest)…
    assert {m.label: m.value for m in at.metric}["Articles"] == "1"
    assert any(c.value == "1 of 1 articles" for c in at.main.caption), [c.value for c in at.main.caption]
    assert any("1 articles in the store" in c.value for c in at.sidebar.caption)
    # …and the ingest report is still shown after that rerun.
    assert any("added 1" in s.value for s in at.success), [s.value for s in at.success]
    errors = " ".join(shown(e.value) for e in at.error)
    assert "empty.txt" in errors and "bad.jsonl:1" in errors, errors


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
    ((_, source),) = chips(hostile_app)
    marked = highlight(source)
    assert "<img src=x onerror=alert(1)>" in shown(marked)
    inner = marked.replace(":orange-background[**", "").replace("**]", "")  # our own markup aside
    assert not _UNESCAPED.findall(inner), marked


def test_hostile_article_title_is_shown_as_text(hostile_app: AppTest) -> None:
    ((_, source),) = chips(hostile_app)
    title = source.markdown[0].value
    assert HOSTILE_TITLE in shown(title)
    assert not _UNESCAPED.findall(title.removeprefix("**").removesuffix("**")), title
    assert not _UNESCAPED.findall(source.proto.popover.help), source.proto.popover.help
    listed = [c.value for c in hostile_app.caption if HOSTILE_TITLE in shown(c.value)]
    assert listed and not _UNESCAPED.findall(listed[0]), listed
