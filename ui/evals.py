"""Eval page: run a gold file against the store; metrics, chart, failing questions, and how the run
compares with the previous one (as ``newsbrief eval --compare`` does).

Runs are kept as a history. With writing allowed (``ui.common.write_access``) a run is saved as a
report folder under ``STORE/eval-reports/`` (the layout ``newsbrief eval --report`` writes: every
session sees it); in a read-only app it is kept for this browser session only.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from rag.evaluate import (
    EvalResult,
    compare_metrics,
    default_report_dir,
    direction,
    evaluate,
    format_comparison,
    load_gold,
    run_record,
    write_chart,
    write_report,
)
from rag.settings import Settings
from rag.store import Store
from ui.common import escape, writing_allowed

EVALS = Path(__file__).resolve().parent.parent / "evals"
RUNS = "eval_runs"  # session key: this session's unsaved runs (metrics records), oldest first
SHOWN = "eval_result"  # session key: (record, EvalResult) of the run on screen
ANSWER_CHARS = 240  # answers in the failing-questions table are cut here (the full text is in an expander)

# What each metric means, in plain words (shown next to its value).
EXPLAIN = {
    "questions": "questions asked",
    "answerable": "questions with a gold answer in the corpus",
    "unanswerable": "questions the corpus cannot answer (the right reply is to abstain)",
    "hits@1": "a gold article is the top retrieved article",
    "hits@5": "a gold article is among the top 5 retrieved",
    "hits@10": "a gold article is among the top 10 retrieved",
    "mrr@10": "1 / rank of the first gold article in the top 10, averaged (1 = always first)",
    "answer_contains_gold": "the answer contains the gold answer",
    "short_answer_em": "the short answer is exactly the gold answer",
    "short_answer_f1": "word overlap of the short answer with the gold answer",
    "multiple_choice_accuracy": "the right option was picked (multiple-choice questions)",
    "multiple_choice_questions": "multiple-choice questions asked",
    "nota_accuracy": '"None of the above" picked exactly when it is right',
    "cited_article_is_gold": "the answer cites a gold article",
    "citation_span_validity": "every quoted span matches the stored article text exactly",
    "abstention_rate": 'share of all questions answered with "Not found" (neither good nor bad alone)',
    "abstention_on_unanswerable": 'unanswerable questions correctly answered with "Not found"',
    "abstention_out_of_window": 'questions asked before their news broke correctly answered with "Not found"',
    "out_of_window_questions": "questions asked as of the day before their news broke",
    "false_abstention": 'answerable questions wrongly answered with "Not found" (lower is better)',
    "seconds_per_question": "average time to answer one question (lower is better)",
    "k": "articles considered per question",
}


def number(value: object) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def shown_value(value: float | int | None) -> str:
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def metrics_table(metrics: dict[str, object]) -> pd.DataFrame:
    """One row per measured metric: its value (as text, 3 decimals) and what it means."""
    numeric = {m: v for m, v in metrics.items() if number(v) is not None}
    return pd.DataFrame(
        {
            "metric": list(numeric),
            "value": [shown_value(v) for v in numeric.values()],  # type: ignore[arg-type]
            "meaning": [EXPLAIN.get(m, "") for m in numeric],
        }
    )


def comparison_table(before: dict[str, object], after: dict[str, object]) -> pd.DataFrame:
    """``rag.evaluate.compare_metrics`` as a table: before, after, change and whether it is better."""
    rows = [
        {
            "metric": c.metric + (" (lower is better)" if direction(c.metric) < 0 else ""),
            "before": shown_value(c.before),
            "after": shown_value(c.after),
            "change": "—" if c.delta is None else f"{c.delta:+.3f}" if isinstance(c.delta, float) else f"{c.delta:+d}",
            "verdict": c.verdict.upper() if c.verdict == "worse" else c.verdict,
        }
        for c in compare_metrics(before, after)
        if c.before is not None or c.after is not None
    ]
    return pd.DataFrame(rows, columns=["metric", "before", "after", "change", "verdict"])


def chart_metrics(metrics: dict[str, object]) -> dict[str, object]:
    """Only the higher-is-better rates (0..1), plus the run's size for the chart's title."""
    rates = {
        m: v
        for m, v in metrics.items()
        if direction(m) > 0
        and isinstance(v, int | float)
        and not isinstance(v, bool)
        and 0.0 <= float(v) <= 1.0
        and m not in {"k", "questions"}
    }
    return {**rates, "questions": metrics.get("questions", "?"), "k": metrics.get("k", "?")} if rates else {}


def chart_png(metrics: dict[str, object]) -> bytes:
    """``rag.evaluate.write_chart`` of the given metrics, as PNG bytes (its labels are never cut off)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "metrics.png"
        write_chart(metrics, path)
        return path.read_bytes()


def gold_files() -> list[Path]:
    return sorted(EVALS.glob("*.jsonl"))


def failures(result: EvalResult) -> pd.DataFrame:
    rows = [
        {
            "question": r.question,
            "expected": r.gold if r.gold is not None else "(abstain)",
            "answer": r.answer if len(r.answer) <= ANSWER_CHARS else r.answer[:ANSWER_CHARS].rsplit(" ", 1)[0] + " …",
            "gold article rank": "" if r.rank is None else str(r.rank),
            "cited article": r.cited_doc or "",
        }
        for r in result.rows
        if not r.passed
    ]
    return pd.DataFrame(rows, columns=["question", "expected", "answer", "gold article rank", "cited article"])


# ---------------------------------------------------------------- the history of runs


def reports_folder(settings: Settings) -> Path:
    return settings.home / "eval-reports"


def saved_runs(settings: Settings) -> list[dict[str, Any]]:
    """Runs saved in the store's report folders (unreadable ones are skipped), oldest first."""
    runs = []
    for path in sorted(reports_folder(settings).glob("*/metrics.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and isinstance(record.get("metrics"), dict):
            runs.append({**record, "saved": path.parent.name})
    return runs


def history(settings: Settings, gold_name: str) -> list[dict[str, Any]]:
    """Every run of ``gold_name`` (saved, and this session's), oldest first."""
    runs = [*saved_runs(settings), *st.session_state.get(RUNS, [])]
    mine = [r for r in runs if Path(str(r.get("gold", ""))).name == gold_name]
    return sorted(mine, key=lambda r: str(r.get("timestamp", "")))


def run_labels(runs: list[dict[str, Any]]) -> list[str]:
    """ "run 3 · 2026-12-02 10:15:04 · k=10 · saved", numbered oldest first."""
    labels = []
    for number_, record in enumerate(runs, start=1):
        k = (record.get("options") or {}).get("k", record.get("metrics", {}).get("k", "?"))
        where = "saved" if record.get("saved") else "this session"
        labels.append(f"run {number_} · {str(record.get('timestamp', '?')).replace('T', ' ')} · k={k} · {where}")
    return labels


def history_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    """The runs, newest first, with the headline metrics."""
    headline = ["questions", "hits@5", "mrr@10", "answer_contains_gold", "cited_article_is_gold", "false_abstention"]
    rows = [
        {"run": label, **{m: shown_value(number(r["metrics"].get(m))) for m in headline}}
        for label, r in reversed(list(zip(run_labels(runs), runs, strict=True)))
    ]
    return pd.DataFrame(rows, columns=["run", *headline])


def keep_run(settings: Settings, gold: Path, result: EvalResult, k: int) -> dict[str, Any]:
    """Record the run: saved as a report folder when writing is allowed, else in this session."""
    now = datetime.now().astimezone()
    record = {**run_record(gold, settings, now, k=k), "id": uuid.uuid4().hex, "metrics": result.metrics}
    if writing_allowed():
        folder = default_report_dir(gold, now, base=reports_folder(settings))
        while folder.exists():  # two runs in one second
            folder = folder.with_name(folder.name + "-2")
        write_report(folder, result, record)
        record["saved"] = folder.name
    else:
        st.session_state.setdefault(RUNS, []).append(record)
    return record


# ---------------------------------------------------------------- the page


def page(settings: Settings, store: Store) -> None:
    st.title("Evaluation")
    files = gold_files()
    if not files:
        st.info(f"No gold files in {EVALS}.")
        return
    chosen = st.selectbox("Gold questions", files, format_func=lambda p: p.name, key="eval_file")
    k = st.slider("Articles considered (k)", 1, 20, 10, key="eval_k")
    if st.button("Run the evaluation", type="primary", key="eval_go"):
        gold = load_gold(chosen)
        bar = st.progress(0.0, text=f"0 of {len(gold)} questions")

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"{done} of {total} questions")

        result = evaluate(store, settings, gold, k=k, progress=progress)
        st.session_state[SHOWN] = (keep_run(settings, chosen, result, k), result)
        st.session_state.pop("eval_after", None)  # compare the new run (with the one before it)
        bar.empty()
    runs = history(settings, chosen.name)
    shown = st.session_state.get(SHOWN)
    if shown is not None and Path(str(shown[0].get("gold"))).name != chosen.name:
        shown = None  # the run on screen was of another gold file
    if shown is None and not runs:
        st.caption(
            "Scores retrieval (hits@k, MRR), answers (contains the gold answer, cites a gold article), "
            "citation validity and abstention. Runs are kept, and each is compared with the one before."
        )
        return
    if shown is not None:
        show_result(*shown)
    show_history(runs, shown[0] if shown else None)


def show_result(record: dict[str, Any], result: EvalResult) -> None:
    st.subheader(f"Results on {escape(Path(str(record.get('gold'))).name)}")
    st.caption(
        "Saved in the store's eval history."
        if record.get("saved")
        else "Kept for this browser session (the app is read-only: runs are saved only when writing is allowed)."
    )
    st.table(metrics_table(result.metrics), hide_index=True)  # every row shown: no scrolling inside a box
    charted = chart_metrics(result.metrics)
    if charted:
        st.image(chart_png(charted), caption="Rates where higher is better (0 to 1).")
    failed = failures(result)
    st.subheader(f"Failing questions ({len(failed)})")
    if not len(failed):
        st.success("Every question passed.")
        return
    st.table(failed, hide_index=True)  # wraps long text instead of cutting the columns off
    for row in (r for r in result.rows if not r.passed):  # the full answers, however long
        with st.expander(escape(row.question)):
            st.markdown(f"**Expected:** {escape(str(row.gold if row.gold is not None else '(abstain)'))}")
            st.markdown(f"**Answer:** {escape(row.answer) or '(empty)'}")


def show_history(runs: list[dict[str, Any]], current: dict[str, Any] | None) -> None:
    """Earlier runs of this gold file, and the chosen run compared with the one before it."""
    st.subheader(f"History ({len(runs)} {'run' if len(runs) == 1 else 'runs'})")
    st.table(history_table(runs), hide_index=True)
    if len(runs) < 2:
        st.caption("Run the evaluation again to compare two runs.")
        return
    labels = run_labels(runs)
    ids = [r.get("id") for r in runs]
    newest = ids.index(current.get("id")) if current is not None and current.get("id") in ids else len(runs) - 1
    after_label = st.selectbox("Compare the run", labels[1:], index=max(0, newest - 1), key="eval_after")
    after = labels.index(after_label)
    before = after - 1  # with the one just before it, as `newsbrief eval --compare` is used
    st.markdown(f"**{escape(labels[after])}** compared with **{escape(labels[before])}**")
    st.table(comparison_table(runs[before]["metrics"], runs[after]["metrics"]), hide_index=True)
    changes = compare_metrics(runs[before]["metrics"], runs[after]["metrics"])
    verdict = format_comparison(changes).splitlines()[-1]
    (st.warning if verdict.startswith("worse") else st.success)(escape(verdict))
    with st.expander("As `newsbrief eval --compare` prints it"):
        st.code(format_comparison(changes), language=None)
