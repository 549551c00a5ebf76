"""Eval page: run a gold file against the store; metrics table, chart and the failing questions."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from rag.evaluate import EvalResult, direction, evaluate, load_gold, write_chart
from rag.settings import Settings
from rag.store import Store
from ui.common import escape

EVALS = Path(__file__).resolve().parent.parent / "evals"


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
    "multiple_choice_accuracy": "the right option was picked (multiple-choice questions)",
    "multiple_choice_questions": "multiple-choice questions asked",
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


def metrics_table(metrics: dict[str, object]) -> pd.DataFrame:
    numeric = {m: v for m, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return pd.DataFrame(
        {
            "metric": list(numeric),
            "value": list(numeric.values()),
            "meaning": [EXPLAIN.get(m, "") for m in numeric],
        }
    )


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
            "answer": r.answer,
            "gold article rank": r.rank,
            "cited article": r.cited_doc or "",
        }
        for r in result.rows
        if not r.passed
    ]
    return pd.DataFrame(rows, columns=["question", "expected", "answer", "gold article rank", "cited article"])


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

        st.session_state["eval_result"] = (chosen.name, evaluate(store, settings, gold, k=k, progress=progress))
        bar.empty()
    if "eval_result" not in st.session_state:
        st.caption(
            "Scores retrieval (hits@k, MRR), answers (contains the gold answer, cites a gold article), "
            "citation validity and abstention."
        )
        return
    name, result = st.session_state["eval_result"]
    st.subheader(f"Results on {escape(name)}")
    st.dataframe(
        metrics_table(result.metrics),
        hide_index=True,
        width="stretch",
        column_config={
            "meaning": st.column_config.TextColumn("meaning", width="large"),
        },
    )
    charted = chart_metrics(result.metrics)
    if charted:
        st.image(chart_png(charted), caption="Rates where higher is better (0 to 1).")
    failed = failures(result)
    st.subheader(f"Failing questions ({len(failed)})")
    if len(failed):
        st.dataframe(
            failed,
            hide_index=True,
            width="stretch",
            column_config={
                "question": st.column_config.TextColumn("question", width="medium"),
                "answer": st.column_config.TextColumn("answer", width="large"),
            },
        )
        for row in failed.itertuples(index=False):  # the full answers, however long
            with st.expander(escape(row.question)):
                st.markdown(f"**Expected:** {escape(str(row.expected))}")
                st.markdown(f"**Answer:** {escape(str(row.answer)) or '(empty)'}")
    else:
        st.success("Every question passed.")
