"""Eval page: run a gold file against the store; metrics table, chart and the failing questions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from rag.evaluate import EvalResult, evaluate, load_gold
from rag.settings import Settings
from rag.store import Store
from ui.common import escape

EVALS = Path(__file__).resolve().parent.parent / "evals"


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
    numeric = {m: v for m, v in result.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    st.dataframe(pd.DataFrame({"metric": list(numeric), "value": list(numeric.values())}), hide_index=True)
    rates = {m: v for m, v in numeric.items() if 0.0 <= float(v) <= 1.0 and m != "questions"}
    st.bar_chart(pd.Series(rates, name="value"), horizontal=True)
    failed = failures(result)
    st.subheader(f"Failing questions ({len(failed)})")
    if len(failed):
        st.dataframe(failed, hide_index=True, width="stretch")
    else:
        st.success("Every question passed.")
