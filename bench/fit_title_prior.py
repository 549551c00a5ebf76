"""Fit the headline prior (``Settings.title_weight``) on RealTime QA dev, cross-validated by week.

The prior adds ``weight × cosine(question, headline)`` to each retrieved article's fused score
(rag.retrieve.with_title_prior). This script retrieves every dev question once with the prior off,
then scores a grid of weights on the articles found: in-sample (fitted and scored on all weeks) and
cross-validated (each week scored with the weight fitted on the other weeks). Ranking only: what the
reader then does with the new order is measured by ``newsbrief eval`` with NEWSBRIEF_TITLE_WEIGHT set.

    python bench/fit_title_prior.py --store /tmp/rtqa/home ../shared/datasets/realtimeqa-2022/queries-dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer import within_question_window  # noqa: E402
from rag.embed import embed_memoised  # noqa: E402
from rag.retrieve import Query, retrieve  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.store import open_store  # noqa: E402

GRID = (0.0, 0.002, 0.005, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05)

# one question: its week, and for each of its top articles the fused score, the headline's cosine, gold or not
Case = tuple[tuple[int, int], list[float], list[float], list[bool]]


def cases(store_home: Path, gold_path: Path) -> list[Case]:
    settings = load_settings(home=store_home, title_weight=0.0)
    store = open_store(settings)
    found = []
    for line in gold_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        query = within_question_window(Query(row["question"], as_of=row["question_date"], k=20))
        articles: dict[str, tuple[float, str, tuple[str, ...]]] = {}
        for ev in retrieve(store, query, settings):
            articles.setdefault(ev.article_id, (ev.score, ev.title, tuple(ev.duplicate_ids or ())))
        ids = list(articles)[:10]
        gold = {e["doc_id"] for e in row["evidence"]}
        asked, *headlines = embed_memoised([row["question"], *(articles[a][1] for a in ids)])
        found.append(
            (
                date.fromisoformat(row["question_date"]).isocalendar()[:2],
                [articles[a][0] for a in ids],
                [float(asked @ h) for h in headlines],
                [a in gold or bool(gold & set(articles[a][2])) for a in ids],
            )
        )
    return found


def ranking(found: list[Case], weight: float) -> tuple[float, float]:
    """hits@1 and MRR@10 with the prior at ``weight``."""
    hits = reciprocal = 0.0
    for _, scores, cosines, gold in found:
        order = sorted(range(len(scores)), key=lambda i: -(scores[i] + weight * cosines[i]))
        rank = next((n for n, i in enumerate(order, start=1) if gold[i]), None)
        hits += rank == 1
        reciprocal += 1.0 / rank if rank else 0.0
    return hits / len(found), reciprocal / len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--store", type=Path, required=True, help="store holding the full RealTime QA corpus")
    args = parser.parse_args()
    found = cases(args.store, args.gold)
    print("weight  hits@1  mrr@10  (in-sample)")
    for weight in GRID:
        print(f"{weight:<7} {ranking(found, weight)[0]:.3f}   {ranking(found, weight)[1]:.3f}")
    best = max(GRID, key=lambda w: ranking(found, w))
    hits = reciprocal = 0.0
    for week in sorted({case[0] for case in found}):
        train = [c for c in found if c[0] != week]
        test = [c for c in found if c[0] == week]
        fold = ranking(test, max(GRID, key=lambda w: ranking(train, w)))
        hits, reciprocal = hits + fold[0] * len(test), reciprocal + fold[1] * len(test)
    print(f"all-weeks fit: {best}; in-sample hits@1/MRR {ranking(found, best)[0]:.3f}/{ranking(found, best)[1]:.3f}")
    print(f"cross-validated by week: hits@1/MRR {hits / len(found):.3f}/{reciprocal / len(found):.3f}")


if __name__ == "__main__":
    main()
