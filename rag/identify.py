"""The identify stage of an ingest (parse → identify → chunk → embed → write): for each parsed
article, its final id, whether it is new, changed or unchanged, and whether it is a near-duplicate
of a story already stored — all decided before anything is embedded or written.

Rules it enforces:

- An uploaded file (under ``STORE/uploads/``) gets its own ids (``uploads-…`` unless its path
  already names it) and the provenance "uploaded in the app, <day>"; it never replaces an
  article that came from elsewhere, and never stays the canonical copy of one.
- A headline-only feed entry (its page could not be fetched) never replaces a stored page.
- A stored article under the id its file had before ids came from where an article came from
  (the bare file name) is superseded by the same file's article under its new id.
- Articles dated more than a day past the ingest are reported (a future date is a typo or a trap).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rag.dedup import DedupPlan, is_uploaded, same_file
from rag.ingest import SINGLE_ARTICLE_SUFFIXES, IngestError, path_id, with_provenance
from rag.settings import Settings
from rag.store import Store
from rag.types import HEADLINE_ONLY, UPLOADED, Article

UPLOADS = "uploads"  # the app saves uploaded files in STORE/uploads/


def uploads_folder(settings: Settings) -> Path:
    return settings.home / UPLOADS


@dataclass(frozen=True)
class Kept:
    """A feed entry whose stored article stays as it is (unchanged; its page was not fetched)."""

    article_id: str
    path: str


@dataclass
class Tally:
    """What identify found, for the ingest report."""

    skipped: int = 0  # unchanged articles and feed entries
    duplicates: int = 0  # copies linked to a story already stored
    unchanged_entries: int = 0
    errors: list[IngestError] = field(default_factory=list)  # refused (an upload over another's article)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Identified:
    """The decisions the write stage carries out, in order."""

    todo: list[Article]  # to chunk, embed and write
    stored_ids: set[str]  # those of ``todo`` already stored (counted as updated)
    plan: DedupPlan | None  # near-duplicate links and signatures (None: dedup off)
    retire: list[str]  # stored articles to delete first (now copies of another, or superseded)
    feed_entries: dict[str, str]  # stored article → the feed entry its unchanged page now stands for
    tally: Tally


def identify(
    items: Iterable[Article | Kept], store: Store, settings: Settings, now: datetime | None = None
) -> Identified:
    """Parsed articles (in source order; a later one with the same id wins) → what to write."""
    tally = Tally()
    articles = _final_ids(items, uploads_folder(settings), tally)
    _warn_future(articles, now or datetime.now(), tally)
    legacy = _legacy_ids(articles)
    markers = store.markers(list(dict.fromkeys([*(a.id for a in articles), *legacy.values()])))
    todo: list[Article] = []
    unchanged: list[Article] = []
    for article in articles:
        stored = markers.get(article.id)
        if stored is not None and _refused(article, stored, tally):
            continue
        if stored is not None and store.stored_version(stored) == store.version_of(article):
            unchanged.append(article)
        else:
            todo.append(article)
    tally.skipped += tally.unchanged_entries + len(unchanged)
    # A page fetched again for a changed feed entry may be unchanged itself: remember the new entry.
    feed_entries = {a.id: a.feed_entry for a in unchanged if a.feed_entry}
    path_of = {a.id: a.path for a in articles}
    superseded = {
        old: new
        for new, old in legacy.items()
        if old in markers and same_file(str(markers[old].get("path")), path_of[new])
    }
    plan = None
    retire = list(superseded)
    if settings.dedup and (todo or superseded):
        plan = DedupPlan.from_markers(store.list_articles(), settings.dedup_threshold)
        for old, new in superseded.items():
            plan.supersede(old, new)
        todo = plan.place(todo, set(markers), legacy)
        tally.skipped += plan.unchanged
        tally.duplicates = plan.linked
        retire = plan.demoted
    stored_ids = {a.id for a in todo if a.id in markers or a.id in superseded.values()}
    return Identified(todo, stored_ids, plan, retire, feed_entries, tally)


def _final_ids(items: Iterable[Article | Kept], uploads: Path, tally: Tally) -> list[Article]:
    """Uploads renamed and marked; of several articles with one id the last wins, said when they
    come from different places; an upload never takes the id of an article from elsewhere."""
    by_id: dict[str, Article] = {}
    kept: set[str] = set()
    uploads = uploads.resolve()
    under: dict[str, bool] = {}  # path → whether it was uploaded (a JSON-lines file has many records)
    for item in items:
        if item.path not in under:
            under[item.path] = _under(item.path, uploads)
        if isinstance(item, Kept):
            article_id = _upload_id(item.article_id, item.path) if under[item.path] else item.article_id
            by_id.pop(article_id, None)  # a later source's version of the same article wins
            kept.add(article_id)
            continue
        article = _as_upload(item) if under[item.path] else item
        earlier = by_id.get(article.id)
        if earlier is not None and is_uploaded(article.provenance) and not is_uploaded(earlier.provenance):
            tally.errors.append(IngestError(article.path, f"not stored: {_replaces(article.id, earlier.path)}"))
            continue
        if earlier is not None and earlier.path != article.path:
            tally.warnings.append(f"{article.path}: id {article.id!r} also in {earlier.path}; kept this one")
        by_id[article.id] = article
    tally.unchanged_entries = len(kept - by_id.keys())
    return list(by_id.values())


def _under(path: str, folder: Path) -> bool:
    if not path or "://" in path:
        return False
    resolved = Path(path).resolve()
    return folder in resolved.parents


def _upload_id(article_id: str, path: str) -> str:
    """An uploaded article's id: its path's (already unique to the uploads folder), else ``uploads-<id>``."""
    return article_id if article_id == path_id(path) else f"{UPLOADS}-{article_id}"


def _as_upload(article: Article) -> Article:
    """The article marked "uploaded in the app, <day the file was saved>", under its upload id."""
    try:
        day = datetime.fromtimestamp(Path(article.path).stat().st_mtime).date().isoformat()
    except OSError:
        day = date.today().isoformat()
    return with_provenance(article, f"{UPLOADED}, {day}", _upload_id(article.id, article.path))


def _replaces(article_id: str, where: str) -> str:
    return f"it would replace article {article_id!r}, which came from {where or 'elsewhere'}"


def _refused(article: Article, stored: Mapping[str, Any], tally: Tally) -> bool:
    """True when ``article`` must not replace the stored one (said in the report)."""
    where = str(stored.get("url") or stored.get("path") or "")
    if is_uploaded(article.provenance) and not is_uploaded(stored.get("provenance")):
        tally.errors.append(IngestError(article.path, f"not stored: {_replaces(article.id, where)}"))
        return True
    if HEADLINE_ONLY in article.provenance and HEADLINE_ONLY not in str(stored.get("provenance") or ""):
        tally.warnings.append(f"{article.path}: {article.title[:60]!r}: page not fetched; kept the page stored earlier")
        tally.skipped += 1
        return True
    return False


def _legacy_ids(articles: list[Article]) -> dict[str, str]:
    """Article id → the id its file's one article had when ids were the bare file name."""
    per_path: dict[str, int] = defaultdict(int)
    for article in articles:
        per_path[article.path] += 1
    legacy = {}
    for article in articles:
        path = Path(article.path)
        if "://" in article.path or per_path[article.path] > 1 or path.suffix.lower() not in SINGLE_ARTICLE_SUFFIXES:
            continue
        if path.stem != article.id:
            legacy[article.id] = path.stem
    return legacy


def _warn_future(articles: list[Article], now: datetime, tally: Tally) -> None:
    """Say which articles are dated more than a day past ``now`` (one line per file)."""
    limit = (now + timedelta(days=1)).date()
    future: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        try:
            if date.fromisoformat(article.published_at[:10]) > limit:
                future[article.path].append(article)
        except ValueError:
            continue
    for path, group in future.items():
        shown = ", ".join(f"{a.title[:60]!r} ({a.published_at})" for a in group[:3])
        more = f" and {len(group) - 3} more" if len(group) > 3 else ""
        count = "1 article is" if len(group) == 1 else f"{len(group)} articles are"
        tally.warnings.append(
            f"{path}: {count} dated more than a day after this ingest ({now.date()}): {shown}{more}; check the dates"
        )
