"""The Streamlit app, driven headlessly with AppTest: every page (chat, briefs, daily, corpus, eval).

The app escapes article text as literal Markdown (``\\[1\\]``), so checks on rendered Markdown go
through :func:`shown`, which drops the escaping backslashes the browser would not display.
"""

from __future__ import annotations

import json
import re
import sys
import threading
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
from ui.common import source_names  # noqa: E402
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


def sources(at: AppTest) -> list[tuple[str, object]]:
    """The cited articles under the last answer (expanders), with their blocks, in page order."""
    messages = [m for m in at.chat_message if m.name == "assistant"]
    return [(shown(e.label), e) for e in messages[-1].expander] if messages else []


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


def test_chat_answers_with_cited_sources_inline(app: AppTest) -> None:
    ask(app, MOTEGI_QUESTION)

    users = [m for m in app.chat_message if m.name == "user"]
    assert [shown(m.markdown[0].value) for m in users] == [MOTEGI_QUESTION]
    answer = assistant_text(app)
    assert "East China Sea" in answer and "[1]" in answer

    # Each cited article once, labelled with its markers, title, source and date; opened, the quoted
    # sentence is highlighted in its paragraph. Inline (an expander), never a popover over the input.
    (label, source), *_ = sources(app)
    assert label.startswith("[1]") and f"] {WION_TITLE}" in label and "— WION, 2020-11-24" in label, label
    marked = highlight(source)
    quoted = re.search(r":orange-background\[\*\*(.*?)\*\*\]", marked)
    assert quoted, marked
    assert "Motegi would also raise concerns" in shown(quoted.group(1))
    assert "Wang Yi" in shown(marked.split(":orange-background[")[0])  # the sentence sits in its context
    assert not [m for m in app.chat_message if m.name == "assistant"][-1].get("popover")

    # The turn is kept in the history and shown again on the next rerun.
    app.run()
    assert not app.exception
    assert "East China Sea" in assistant_text(app)
    assert sources(app)


def test_chat_says_not_found_when_the_corpus_has_no_answer(app: AppTest) -> None:
    ask(app, UNANSWERABLE)
    assert any("Not found in the corpus" in w.value for w in app.warning), [w.value for w in app.warning]
    assert not sources(app)


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


def user_questions(at: AppTest) -> list[str]:
    return [shown(m.markdown[0].value) for m in at.chat_message if m.name == "user"]


def test_a_turn_left_pending_by_a_stopped_run_is_answered_by_the_next(app: AppTest) -> None:
    """A question sent while an answer is coming stops that page run; the turn it was answering
    stays in the conversation (queued by the input's callback) and the next run answers it first."""
    app.session_state["history"] = [{"question": MOTEGI_QUESTION, "filters": {}}]
    ask(app, "And what did Wang say?")
    assert user_questions(app) == [MOTEGI_QUESTION, "And what did Wang say?"]
    answers = [m for m in app.chat_message if m.name == "assistant"]
    assert len(answers) == 2
    assert "East China Sea" in " ".join(shown(md.value) for md in answers[0].markdown)
    assert "Wang" in " ".join(shown(md.value) for md in answers[1].markdown)
    assert any("understood as" in c.value for c in answers[1].caption)  # read against the first turn
    assert all("job" not in turn for turn in app.session_state["history"])


def test_a_question_sent_while_the_answer_is_coming_follows_the_running_job(
    app: AppTest, bundled_settings: Settings
) -> None:
    """The rerun that a new question causes follows the job still answering the previous one (no
    second computation), then answers the new one with the first in its context."""
    from rag.conversation import ask_followup
    from rag.store import open_store
    from ui.chat import AnswerJob

    store, release, calls = open_store(bundled_settings), threading.Event(), []

    def slow_first_answer():
        calls.append(MOTEGI_QUESTION)
        assert release.wait(60)
        return ask_followup(store, bundled_settings, MOTEGI_QUESTION, [])

    turn = {"question": MOTEGI_QUESTION, "filters": {}}
    turn["job"] = AnswerJob(turn, slow_first_answer)
    app.session_state["history"] = [turn]
    threading.Timer(1.0, release.set).start()  # the first answer is still coming when the second question is sent
    ask(app, "And what did Wang say?")
    assert calls == [MOTEGI_QUESTION]
    assert user_questions(app) == [MOTEGI_QUESTION, "And what did Wang say?"]
    answers = [" ".join(shown(md.value) for md in m.markdown) for m in app.chat_message if m.name == "assistant"]
    assert len(answers) == 2 and "East China Sea" in answers[0] and "Wang" in answers[1], answers


def test_each_turn_keeps_the_filters_it_was_asked_with(app: AppTest) -> None:
    app.sidebar.checkbox(key="use_as_of").check().run()
    app.sidebar.date_input(key="as_of").set_value(date(2020, 11, 1)).run()
    ask(app, MOTEGI_QUESTION)
    app.sidebar.checkbox(key="use_as_of").uncheck().run()  # later turns are not filtered…
    ask(app, MOTEGI_QUESTION)
    history = app.session_state["history"]
    assert [t["filters"]["as_of"] for t in history] == ["2020-11-01", None]
    assert history[0]["answer"].abstained and not history[1]["answer"].abstained  # …and earlier ones stay so
    assert len([m for m in app.chat_message if m.name == "assistant"]) == 2


def test_chat_with_a_model_shows_the_checked_answer_not_the_draft(
    monkeypatch: pytest.MonkeyPatch, bundled_settings: Settings, llm
) -> None:
    """The model's tokens are shown while they arrive (tests/test_chat_stream.py); what stays is
    the checked answer, with the same sources as without streaming."""
    monkeypatch.setenv("NEWSBRIEF_HOME", str(bundled_settings.home))
    monkeypatch.setenv("NEWSBRIEF_LLM", "openai")
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()
        ask(at, MOTEGI_QUESTION)
        assert "East China Sea" in assistant_text(at)
        assert not any("▌" in md.value for md in at.markdown)  # the draft is gone
        assert any(r.body.get("stream") for r in llm.chat_requests), "the model was not streamed"
        (label, _), *_ = sources(at)
        assert WION_TITLE in label
    finally:
        st.cache_resource.clear()


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

    app.text_input(key="daily_day").input("1990-01-01").run()  # a typed day is shown on Enter
    assert [i.value for i in app.info] == ["No articles published on 1990-01-01."]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def test_corpus_page_counts_charts_and_search(app: AppTest) -> None:
    open_page(app, "Corpus")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Articles"] == "206", metrics
    specs = chart_specs(app)
    assert len(specs) == 2, specs
    # Articles per day on a time axis (2011-08-08 is not next to 2020-11-24), per source by name.
    assert specs[0]["encoding"]["x"]["type"] == "temporal", specs[0]["encoding"]
    assert specs[1]["encoding"]["y"]["field"] == "source", specs[1]["encoding"]
    search = app.text_input(key="title_search")
    assert search.placeholder and "Arafat" not in search.placeholder  # no example that looks typed
    (table,) = app.dataframe
    widths = {name: column.get("width") for name, column in json.loads(table.proto.columns).items()}
    longest = max(len(i) for i in table.value["id"])
    assert widths["id"] >= 8 * longest and widths["title"] == "large", widths  # the long ids are not cut off
    search.input("Arafat").run()
    (table,) = app.dataframe
    assert len(table.value) >= 1 and table.value["title"].str.contains("Arafat", case=False).all()
    assert len(table.value) < 206


def test_articles_per_day_are_dates_sorted_in_time() -> None:
    import pandas as pd

    from ui.corpus import per_day

    table = pd.DataFrame(
        {"published": ["2020-11-24", "2011-08-08", "2011-08-08", "", "not a date", "2004-11-18T09:00"]}
    )
    days = per_day(table)
    assert [d.date().isoformat() for d in days["day"]] == ["2004-11-18", "2011-08-08", "2020-11-24"]
    assert list(days["articles"]) == [1, 2, 1]
    assert str(days["day"].dtype).startswith("datetime64")


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


def test_a_source_label_names_the_article_once_and_flags_an_unsupported_claim() -> None:
    from ui.common import source_label

    first = Citation(1, "d1", "A [b]", "AP", "2024-03-05", "q", 0, 1)
    second = Citation(2, "d1", "A [b]", "AP", "2024-03-05", "r", 5, 6, supported=False)
    assert shown(source_label([first])) == "[1] A [b] — AP, 2024-03-05"
    assert shown(source_label([first, second])) == "[1][2] A [b] — AP, 2024-03-05 ⚠"
    assert not _UNESCAPED.findall(source_label([first, second]))


def table_with(at: AppTest, column: str):
    """The page's static table that has ``column`` (metrics: meaning, failing questions: expected,
    history: run, comparison: verdict)."""
    found = [table.value for table in at.table if column in table.value.columns]
    assert len(found) == 1, [list(t.value.columns) for t in at.table]
    return found[0]


EARLIER_RUN = {  # a previous run of bundled.jsonl, as this session would have kept it
    "gold": "evals/bundled.jsonl",
    "timestamp": "2026-01-01T09:00:00+00:00",
    "id": "earlier",
    "options": {"k": 10},
    "metrics": {"questions": 79, "hits@5": 0.5, "mrr@10": 0.4, "citation_span_validity": 1.0, "false_abstention": 0.9},
}


def test_eval_page_runs_the_bundled_gold_and_compares_with_the_run_before(app: AppTest, bundled_settings) -> None:
    open_page(app, "Eval")
    assert app.selectbox(key="eval_file").value.name == "bundled.jsonl"
    app.session_state["eval_runs"] = [dict(EARLIER_RUN)]
    app.button(key="eval_go").click().run(timeout=600)
    assert not app.exception, [e.message for e in app.exception]
    # Static tables: every row and every column shown in full, no scrolling inside a box.
    assert not app.dataframe
    metrics = table_with(app, "meaning")
    values = dict(zip(metrics["metric"], metrics["value"], strict=True))
    assert values["citation_span_validity"] == "1.000" and float(values["hits@5"]) >= 0.9, values
    meanings = dict(zip(metrics["metric"], metrics["meaning"], strict=True))
    assert meanings["hits@5"] == "a gold article is among the top 5 retrieved"
    assert "lower is better" in meanings["false_abstention"] and "lower is better" in meanings["seconds_per_question"]
    assert len(app.get("image")) == 1  # the chart of the higher-is-better rates
    assert not app.get("vega_lite_chart")
    (failing,) = [s.value for s in app.subheader if s.value.startswith("Failing questions")]
    count = int(re.search(r"\((\d+)\)", failing).group(1))
    if count:
        failed = table_with(app, "expected")
        assert list(failed.columns) == ["question", "expected", "answer", "gold article rank", "cited article"]
        assert len(failed) == count
    assert len([e for e in app.expander if not e.label.startswith("As ")]) == count  # full answers, in expanders

    # The history: the earlier run and this one; this one compared with the earlier, as `eval --compare`.
    runs = table_with(app, "run")
    assert len(runs) == 2 and "this session" in runs["run"].iloc[0]
    rows = {row.metric: row for row in table_with(app, "verdict").itertuples()}
    assert rows["hits@5"].before == "0.500" and rows["hits@5"].verdict == "better"
    assert rows["false_abstention (lower is better)"].verdict == "better"
    code = app.get("code")[0].proto.code_text
    assert "hits@5" in code and code.splitlines()[-1] == "no metric is worse than before", code
    # Read-only app: nothing was written to the store.
    assert not (bundled_settings.home / "eval-reports").exists()


def fake_result(hits: float) -> object:
    from rag.evaluate import EvalResult

    return EvalResult(metrics={"questions": 2, "hits@5": hits, "citation_span_validity": 1.0, "k": 10})


def test_eval_runs_are_saved_for_everyone_when_writing_is_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ui.evals

    results = iter([fake_result(0.9), fake_result(0.8)])
    monkeypatch.setattr(ui.evals, "evaluate", lambda *args, **kwargs: next(results))
    monkeypatch.setenv("NEWSBRIEF_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("NEWSBRIEF_ADMIN_TOKEN", "s3cret")
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["can_write"] = True  # typed the token (tested with the uploads)
        at.run()
        open_page(at, "Eval")
        at.button(key="eval_go").click().run()
        at.button(key="eval_go").click().run()
        assert not at.exception, [e.message for e in at.exception]
        saved = sorted((tmp_path / "store" / "eval-reports").glob("bundled-*/metrics.json"))
        assert len(saved) == 2, saved
        assert {json.loads(p.read_text())["metrics"]["hits@5"] for p in saved} == {0.9, 0.8}
        warning = " ".join(w.value for w in at.warning)
        assert "worse than before: hits@5" in shown(warning), warning

        # Another browser session (read-only) sees the saved history and the comparison.
        other = AppTest.from_file(str(APP), default_timeout=120)
        other.run()
        open_page(other, "Eval")
        runs = table_with(other, "run")
        assert len(runs) == 2 and all("saved" in label for label in runs["run"]), runs
        assert any("worse than before: hits@5" in shown(w.value) for w in other.warning)
    finally:
        st.cache_resource.clear()


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


TOKEN = "correct horse battery staple"
GOOD = "Harbour bridge opens\nGazette\n2021-05-04\n\nThe harbour bridge opened on Tuesday, the council said.\n"


@pytest.fixture
def empty_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AppTest]:
    """The app over an empty store of its own (uploads must not touch the shared bundled store),
    started with an admin token and a small ingest size limit (2,000 bytes)."""
    monkeypatch.setenv("NEWSBRIEF_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("NEWSBRIEF_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("NEWSBRIEF_MAX_FILE_BYTES", "2000")
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        yield at
    finally:
        st.cache_resource.clear()


def uploaders(at: AppTest) -> list[object]:
    return list(at.get("file_uploader"))


def type_token(at: AppTest, token: str) -> AppTest:
    at.text_input(key="admin_token").input(token)
    next(b for b in at.button if b.label == "Allow writing").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_app_is_read_only_without_an_admin_token(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBRIEF_ADMIN_TOKEN", raising=False)
    open_page(app, "Corpus")
    assert not uploaders(app) and not [b for b in app.button if b.key == "ingest_go"]
    notice = " ".join(i.value for i in app.info)
    assert "read-only" in notice and "NEWSBRIEF_ADMIN_TOKEN" in notice, notice
    assert not [t for t in app.text_input if t.key == "admin_token"]  # nothing to type: writing is off


def test_upload_asks_the_token_once_caps_the_size_and_deletes_refused_files(empty_app: AppTest, tmp_path) -> None:
    at = open_page(empty_app, "Corpus")
    assert {m.label: m.value for m in at.metric}["Articles"] == "0"
    assert not uploaders(at)
    type_token(at, "wrong")
    assert [e.value for e in at.error] == ["That is not the admin token."]
    assert not uploaders(at)
    type_token(at, TOKEN)
    (uploader,) = uploaders(at)
    assert uploader.proto.max_upload_size_mb == 1  # the 2,000-byte ingest limit, in Streamlit's unit
    assert at.button(key="ingest_go").disabled  # nothing chosen yet
    uploader.set_value(
        [
            ("bridge.txt", GOOD.encode(), "text/plain"),
            ("empty.txt", b"", "text/plain"),
            ("bad.jsonl", b"{oops\n", "application/json"),
            ("big.txt", GOOD.encode() * 40, "text/plain"),  # 3.7 kB: over the limit
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
    assert re.search(r"big\.txt: 3\.\d+ kB is over the 2 kB limit; not added", errors), errors
    # Only what was stored stays on disk: the refused files are gone, the big one was never written.
    assert sorted(p.name for p in (tmp_path / "store" / "uploads").iterdir()) == ["bridge.txt"]
    # The uploader is empty again and the button is off; the token is not asked again.
    (uploader,) = uploaders(at)
    assert not uploader.value
    assert at.button(key="ingest_go").disabled
    assert not [t for t in at.text_input if t.key == "admin_token"]


def test_uploads_over_the_limit_are_refused_before_they_are_written(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from rag.settings import load_settings
    from ui.corpus import too_big, upload, upload_limit_mib

    settings = load_settings(home=tmp_path / "store", max_file_bytes=20_000_000)
    assert upload_limit_mib(settings) == 20
    assert too_big("a.txt", 20_000_000, settings) is None
    assert too_big("big.pdf", 52_000_000, settings) == "big.pdf: 52 MB is over the 20 MB limit; not added"
    big = SimpleNamespace(name="big.pdf", size=52_000_000, getvalue=lambda: pytest.fail("a refused file was read"))
    report = upload(settings, None, [big])  # type: ignore[arg-type]
    assert report["errors"] == ["big.pdf: 52 MB is over the 20 MB limit; not added"]
    assert not any((tmp_path / "store" / "uploads").iterdir())


def test_an_upload_refused_because_another_ingest_runs_is_not_kept(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from rag.index import ingest_lock
    from rag.settings import load_settings
    from rag.store import open_store
    from ui.corpus import upload

    settings = load_settings(home=tmp_path / "store")
    store = open_store(settings)
    file = SimpleNamespace(name="bridge.txt", size=len(GOOD), getvalue=lambda: GOOD.encode())
    with ingest_lock(settings):  # a CLI ingest is running
        report = upload(settings, store, [file])
    assert "another ingest is running" in report["errors"][0] and "upload the files again" in report["errors"][0]
    assert not any((tmp_path / "store" / "uploads").iterdir())
    assert store.count_chunks() == 0


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
    ((_, source),) = sources(hostile_app)
    marked = highlight(source)
    assert "<img src=x onerror=alert(1)>" in shown(marked)
    inner = marked.replace(":orange-background[**", "").replace("**]", "")  # our own markup aside
    assert not _UNESCAPED.findall(inner), marked


def test_hostile_article_title_is_shown_as_text(hostile_app: AppTest) -> None:
    ((label, source),) = sources(hostile_app)
    assert HOSTILE_TITLE in label
    assert not _UNESCAPED.findall(source.label), source.label


# ---------------------------------------------------------------- timelines and typed days (issue 12)


def test_briefing_page_draws_a_timeline(app: AppTest) -> None:
    open_briefing_page(app, "Timeline")
    app.button(key="brief_go").click().run()
    assert [w.value for w in app.warning] == ["Type a topic first."]
    app.text_input(key="timeline_topic").input("Airbus A380")
    app.button(key="brief_go").click().run()
    assert not app.exception, [e.message for e in app.exception]
    lines = [shown(md.value) for md in app.main.markdown if re.match(r"\*\*\d{4}-\d\d-\d\d\*\*", shown(md.value))]
    dates = [line[2:12] for line in lines]
    assert len(dates) >= 5 and dates == sorted(dates) and dates[0] == "2005-01-18", lines
    assert all(re.search(r"\[\d+\]$", line) for line in lines)
    assert chips(app) and app.get("download_button")[0].proto.label == "Download Markdown"
    assert "wikinews.org" in " ".join(c.value for c in app.main.caption)  # sources link to the articles


def test_daily_page_takes_a_typed_day_and_steps_through_days(app: AppTest) -> None:
    open_page(app, "Daily")
    app.text_input(key="daily_day").input("2004-12-27").run()
    assert any("stories on 2004-12-27" in c.value for c in app.caption)
    app.button(key="daily_forward").click().run()
    assert app.text_input(key="daily_day").value == "2004-12-28"
    assert any("on 2004-12-28" in c.value for c in app.caption)
    app.text_input(key="daily_day").input("2004-02-30").run()
    assert [e.value for e in app.error] == ["2004-02-30: that day does not exist (February 2004 has 29 days)"]
    app.text_input(key="daily_day").input("2004-11-18").run()
    for _, block in chips(app):  # one chip per article, however many of its sentences are quoted
        assert len({shown(c.value) for c in block.caption}) == 1
