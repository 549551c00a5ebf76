"""Readability of briefing notes (issue 12): do the notes read as an editor would sign them?

Not a timed test: run it by hand. It writes the notes a user would get — a day brief and the
daily notes for every day, a topic brief and a timeline per topic — over two corpora:

- the bundled corpus (every day that has articles; the titles of a sample of articles as topics);
- 30 days of the RealTime QA corpus (``../shared/datasets/realtimeqa-2022/corpus.jsonl``, parsed in
  memory; only those days' articles go into a temporary store, never the whole corpus; the topics
  are the titles of a sample of them),

and counts, among the sentences the notes quote:

- sentences opening with a pronoun or demonstrative ("He", "This", "The move") whose referent is
  not in the note: the sentence before it in the note is not the one before it in its article
  (target ≤ 2 %; openers such as "But" and "However" are counted apart);
- sentences that keep a dateline ("BRASÍLIA, Brazil – ", "(CNN) —"): target 0;
- relative day words ("today", "on Monday") shown without a bracketed date, in dated articles: 0;
- day briefs with two stories in one sentence: 0;
- topic briefs whose sources span more than a few days and are not in date order: 0 (timelines too).

    nice -n 10 .venv/bin/python bench/readability.py                    # both corpora, appends to RESULTS.md
    nice -n 10 .venv/bin/python bench/readability.py --no-rtqa --no-append

The bundled corpus is ingested into a temporary store (or pass ``--bundled-store DIR`` holding it),
and so are the RealTime QA days (``--rtqa-store DIR`` keeps that store for the next run).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.brief import FEW_DAYS, Timeline, brief_date, brief_topic, daily_briefs, stories_of_day, timeline  # noqa: E402
from rag.quote import context_need, dateline_end, known_date, undated_day_words  # noqa: E402
from rag.types import Brief, Citation  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from rouge_briefs import append_results  # noqa: E402

RTQA = ROOT.parent / "shared" / "datasets" / "realtimeqa-2022" / "corpus.jsonl"
SECTION = "## Readability of briefing notes (issue 12)"
MARKER_RUN = re.compile(r"(?:\s*\[\d+\])+")
STORY_COUNT = re.compile(r" \(\d+ stories(?:; \d+ more in the daily files?)?\)$")
ADJACENT = 4  # characters of whitespace at most between a sentence and the one it leans on
# A second opinion on openers, independent of rag.quote's rules and exemptions ("It is unclear…" counts).
PLAIN_OPENER = re.compile(r"^[\"“‘']?(?:He|She|It|They|This|That|These|Those|His|Her|Its|Their|We|I|You)\b(?!-)")


@dataclass
class Tally:
    """What one corpus's notes did, sentence by sentence."""

    notes: Counter[str] = field(default_factory=Counter)
    sentences: int = 0
    pronoun: list[str] = field(default_factory=list)  # unresolved pronoun / demonstrative openers
    plain_opener: list[str] = field(default_factory=list)  # the same by a plain word list (no exemptions)
    connective: list[str] = field(default_factory=list)  # "But…", "However…" with nothing before them
    datelines: list[str] = field(default_factory=list)
    undated_days: list[str] = field(default_factory=list)
    spliced_days: list[str] = field(default_factory=list)  # day briefs with two stories in one sentence
    out_of_order: list[str] = field(default_factory=list)  # topic briefs / timelines out of date order
    spanning: int = 0  # topic briefs and timelines whose sources span more than a few days
    seconds: float = 0.0

    def rows(self) -> list[tuple[str, str, str]]:
        n = max(self.sentences, 1)
        return [
            ("notes (day briefs / daily notes / topic briefs / timelines)", _notes(self.notes), ""),
            ("sentences quoted", str(self.sentences), ""),
            ("opening with an unresolved pronoun or demonstrative", _share(len(self.pronoun), n), "≤ 2 %"),
            ("opening with an unanswered connective (But, However…)", _share(len(self.connective), n), ""),
            (
                "…cross-check: opening with He/She/It/They/This/That/These/Those/His/Her/Its/Their/We/I/You, "
                "not after its sentence before (plain word list, no exemptions)",
                _share(len(self.plain_opener), n),
                "",
            ),
            ("keeping a dateline", str(len(self.datelines)), "0"),
            ("relative day words without a bracketed date (dated articles)", str(len(self.undated_days)), "0"),
            ("day briefs with two stories in one sentence", str(len(self.spliced_days)), "0"),
            (
                f"topic briefs and timelines out of date order (of {self.spanning} spanning > {FEW_DAYS} days)",
                str(len(self.out_of_order)),
                "0",
            ),
        ]


def _notes(counts: Counter[str]) -> str:
    return " / ".join(str(counts[k]) for k in ("day", "daily", "topic", "timeline"))


def _share(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.2f} %)"


def segments(paragraph: str) -> list[tuple[str, list[int]]]:
    """The paragraph cut after each run of ``[n]`` markers: (shown text, the numbers it cites)."""
    paragraph = STORY_COUNT.sub("", paragraph)
    out, cursor = [], 0
    for run in MARKER_RUN.finditer(paragraph):
        out.append((paragraph[cursor : run.start()], [int(n) for n in re.findall(r"\d+", run.group(0))]))
        cursor = run.end()
    return out


def follows(previous: Citation | None, c: Citation) -> bool:
    """Is ``previous`` the sentence right before ``c`` in the same article?"""
    return previous is not None and previous.doc_id == c.doc_id and previous.end <= c.start <= previous.end + ADJACENT


def count_sentences(tally: Tally, citations: Sequence[Citation], shown: Iterable[tuple[str, list[int]]]) -> None:
    """The per-sentence counts over one note's citations (in paragraph order) and its shown text."""
    previous: Citation | None = None
    for c in citations:
        tally.sentences += 1
        need = context_need(c.quote)
        if need == "pronoun" and not follows(previous, c):
            tally.pronoun.append(c.quote)
        elif need == "connective" and not follows(previous, c):
            tally.connective.append(c.quote)
        if PLAIN_OPENER.match(c.quote) and not follows(previous, c):
            tally.plain_opener.append(c.quote)
        if dateline_end(c.quote):
            tally.datelines.append(c.quote)
        previous = c
    dated = {c.n for c in citations if known_date(c.published_at, c.date_from)}
    for text, numbers in shown:
        if any(n in dated for n in numbers):
            tally.undated_days += [f"{word} — {text.strip()}" for word in undated_day_words(text)]


def count_order(tally: Tally, label: str, dates: Sequence[str]) -> None:
    known = [date.fromisoformat(d[:10]) for d in dates if d]
    if len(known) < 2 or (max(known) - min(known)).days <= FEW_DAYS:
        return
    tally.spanning += 1
    if known != sorted(known):
        tally.out_of_order.append(f"{label}: {' '.join(d.isoformat() for d in known)}")


def note_of_day(tally: Tally, store, settings, day: str) -> None:
    groups = stories_of_day(store, settings, day)
    note = brief_date(store, settings, day, groups=groups)
    if not note.paragraph:
        return
    tally.notes["day"] += 1
    shown = segments(note.paragraph)
    count_sentences(tally, note.citations, shown)
    story_of = {ev.article_id: rank for rank, group in enumerate(groups) for ev in group}
    doc_of = {c.n: c.doc_id for c in note.citations}
    for text, numbers in shown:
        if len({story_of.get(doc_of.get(n, ""), -1) for n in numbers}) > 1:
            tally.spliced_days.append(f"{day}: {text.strip()}")
    for daily in daily_briefs(store, settings, day, groups=groups):
        tally.notes["daily"] += 1
        count_sentences(tally, daily.citations, segments(daily.paragraph))


def note_of_topic(tally: Tally, store, settings, topic: str) -> None:
    note: Brief = brief_topic(store, settings, topic)
    if note.paragraph:
        tally.notes["topic"] += 1
        count_sentences(tally, note.citations, segments(note.paragraph))
        count_order(tally, f"brief {topic!r}", [c.published_at for c in note.citations])
    line: Timeline = timeline(store, settings, topic)
    if line.developments:
        tally.notes["timeline"] += 1
        for development in line.developments:
            count_sentences(tally, development.citations[:1], segments(development.text))
        count_order(tally, f"timeline {topic!r}", [d.date for d in line.developments])


def measure(store, settings, days: Sequence[str], topics: Sequence[str]) -> Tally:
    tally = Tally()
    began = time.perf_counter()
    for day in days:
        note_of_day(tally, store, settings, day)
    for topic in topics:
        note_of_topic(tally, store, settings, topic)
    tally.seconds = time.perf_counter() - began
    return tally


# ---------------------------------------------------------------- corpora


def store_of(home: Path, paths: Sequence[Path]):
    """Settings and store for ``home``, ingesting ``paths`` first when it is empty."""
    from rag.index import ingest_paths
    from rag.settings import load_settings
    from rag.store import open_store

    settings = load_settings(home=home)
    store = open_store(settings)
    if store.count_chunks() == 0:
        report = ingest_paths(paths, settings)
        print(f"  ingested {report.added} articles into {home}", file=sys.stderr, flush=True)
        store = open_store(settings)
    return settings, store


def days_and_titles(store) -> tuple[list[str], list[str]]:
    articles = store.list_articles()
    days = sorted({str(a["published_at"])[:10] for a in articles if a.get("published_at")})
    titles = list(dict.fromkeys(str(a["title"]) for a in articles if a.get("title")))
    return days, titles


def sample(titles: Sequence[str], k: int) -> list[str]:
    """Every n-th title, ``k`` at most: topics spread over the whole corpus."""
    return list(titles[:: max(1, len(titles) // max(k, 1))][:k])


def rtqa_window(path: Path, first: str, days: int) -> list[dict]:
    """The records of ``days`` days from ``first``, read in memory from the corpus file."""
    last = (date.fromisoformat(first) + timedelta(days=days - 1)).isoformat()
    records = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if first <= str(record.get("published_at", ""))[:10] <= last:
                records.append(record)
    return records


def table(name: str, tally: Tally) -> str:
    lines = [f"**{name}** ({tally.seconds:.0f} s)", "", "| count | value | target |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {target} |" for what, value, target in tally.rows()]
    return "\n".join(lines)


def examples(name: str, tally: Tally, k: int = 5) -> str:
    """A few of each flagged kind, to read (stderr)."""
    out = [f"--- {name}"]
    for label, items in (
        ("unresolved pronoun openers", tally.pronoun),
        ("plain-list openers (cross-check)", tally.plain_opener),
        ("connective openers", tally.connective),
        ("datelines", tally.datelines),
        ("undated day words", tally.undated_days),
        ("spliced day briefs", tally.spliced_days),
        ("out of date order", tally.out_of_order),
    ):
        out += [f"{label}: {len(items)}"] + [f"    {item[:160]}" for item in items[:k]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundled-store", type=Path, help="a store holding corpus/ (default: a temporary one)")
    parser.add_argument("--rtqa", type=Path, default=RTQA)
    parser.add_argument("--rtqa-store", type=Path, help="a store for the RealTime QA days (default: a temporary one)")
    parser.add_argument("--rtqa-from", default="2022-01-01", help="first of the RealTime QA days")
    parser.add_argument("--rtqa-days", type=int, default=30)
    parser.add_argument("--topics", type=int, default=60, help="titles used as topics per corpus (every k-th article)")
    parser.add_argument("--no-rtqa", action="store_true")
    parser.add_argument("--no-bundled", action="store_true")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    results: list[tuple[str, Tally]] = []
    with tempfile.TemporaryDirectory(prefix="newsbrief-readability-") as scratch:
        if not args.no_bundled:
            home = args.bundled_store or Path(scratch) / "bundled"
            settings, store = store_of(home, [ROOT / "corpus"])
            days, titles = days_and_titles(store)
            topics = sample(titles, args.topics)
            name = f"bundled corpus: {len(days)} days, {len(topics)} topics"
            results.append((name, measure(store, settings, days, topics)))
        if not args.no_rtqa and args.rtqa.exists():
            records = rtqa_window(args.rtqa, args.rtqa_from, args.rtqa_days)
            subset = Path(scratch) / "rtqa-window.jsonl"
            subset.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            settings, store = store_of(args.rtqa_store or Path(scratch) / "rtqa", [subset])
            days, titles = days_and_titles(store)
            topics = sample(titles, args.topics)
            name = f"RealTime QA {args.rtqa_from} + {args.rtqa_days} days: {len(records)} articles, {len(days)} days, "
            results.append((name + f"{len(topics)} topics", measure(store, settings, days, topics)))
        elif not args.no_rtqa:
            print(f"no RealTime QA corpus at {args.rtqa}: skipped", file=sys.stderr)
    out = "\n\n".join(table(name, tally) for name, tally in results)
    print(out)
    for name, tally in results:
        print(examples(name, tally), file=sys.stderr)
    if not args.no_append:
        what = "Each note as `brief --date`, `daily`, `brief --topic` and `timeline` write it (extractive)."
        append_results(
            SECTION, "sentences of the notes a user gets", "python bench/readability.py", argv, f"{what}\n\n{out}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
