"""Near-duplicate articles: the same wire story republished with small edits, found by MinHash.

A story carried by AP, CNN and a local paper is stored once (the first copy ingested is the
*canonical* article) and every other copy is linked to it as a :class:`Duplicate`, so answers can
say "also reported by CNN, Local Paper" and the index holds no near-identical chunks.

Pure functions over text plus a small in-memory LSH index; the store persists the signatures.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from rag.types import UPLOADED, Article

NUM_PERM = 64
SCHEME = "affine32"  # datasketch 2.x hashing scheme; stored signatures depend on it
SHINGLE_WORDS = 5
MIN_SHINGLES = 20  # shorter texts (a headline, a caption) are never called duplicates
MAX_DAYS_APART = 7  # wire copies appear within days of each other; months apart is another story
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Duplicate:
    """A copy of a canonical article from another source, kept as a link rather than as chunks."""

    id: str
    source: str
    title: str
    url: str
    published_at: str
    content_hash: str
    path: str = ""
    provenance: str = ""  # see Article.provenance: an uploaded copy says so wherever its source is named

    @classmethod
    def of(cls, article: Article) -> Duplicate:
        return cls(
            article.id,
            article.source,
            article.title,
            article.url,
            article.published_at,
            article.content_hash,
            article.path,
            article.provenance,
        )

    @classmethod
    def from_marker(cls, meta: Mapping[str, object]) -> Duplicate:
        """A stored article (its commit marker's metadata) as a link."""
        fields = ("article_id", "source", "title", "url", "published_at", "content_hash", "path", "provenance")
        return cls(*(str(meta.get(name) or "") for name in fields))

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def is_uploaded(provenance: object) -> bool:
    """An article (or link) that came in through the app's upload."""
    return str(provenance or "").startswith(UPLOADED)


def encode_duplicates(duplicates: Sequence[Duplicate]) -> str:
    """Chroma metadata form of an article's links: "" or a JSON list."""
    return json.dumps([d.to_dict() for d in duplicates], ensure_ascii=False) if duplicates else ""


def decode_duplicates(text: object) -> list[Duplicate]:
    if not text:
        return []
    try:
        return [Duplicate(**row) for row in json.loads(str(text))]
    except (ValueError, TypeError):
        return []


def shingles(text: str, width: int = SHINGLE_WORDS) -> set[bytes]:
    """Word ``width``-grams of the lower-cased text: edits change few of them, rewrites change most."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + width]).encode("utf-8") for i in range(max(0, len(words) - width + 1))}


def signature(text: str) -> np.ndarray | None:
    """MinHash signature of the text's shingles, or None for texts too short to compare safely."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    from datasketch import MinHash  # imported here: datasketch pulls in scipy (0.6 s) and asking never needs it

    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    minhash.update_batch(list(grams))
    return minhash.hashvalues.astype(np.uint64)


def encode_signature(values: np.ndarray) -> str:
    """Compact text form (Chroma metadata holds strings, not arrays)."""
    return base64.b64encode(values.astype("<u8").tobytes()).decode("ascii")


def decode_signature(text: str) -> np.ndarray | None:
    try:
        values = np.frombuffer(base64.b64decode(text, validate=True), dtype="<u8")
    except (ValueError, TypeError):
        return None
    return values.astype(np.uint64) if values.size == NUM_PERM else None


def _title_words(title: str, source: str) -> set[str]:
    noise = {w for w in _WORD.findall(source.lower())}
    return {w for w in _WORD.findall(title.lower()) if len(w) > 2 and w not in noise}


def similar_titles(title: str, source: str, other_title: str, other_source: str) -> bool:
    """Most words of the shorter title (site names aside) appear in the other one.

    Guards against a scraper's failure mode: many different articles whose stored body is the
    same paywall or cookie page. Those share their text but not their headline.
    """
    mine, theirs = _title_words(title, source), _title_words(other_title, other_source)
    if not mine or not theirs:
        return False
    shared = len(mine & theirs)
    return shared >= min(2, len(mine), len(theirs)) and shared / min(len(mine), len(theirs)) >= 0.5


def close_in_time(day: str, other_day: str, max_days: int = MAX_DAYS_APART) -> bool:
    """Published within ``max_days`` of each other (an unknown date never rules a copy out)."""
    try:
        return abs((date.fromisoformat(day[:10]) - date.fromisoformat(other_day[:10])).days) <= max_days
    except ValueError:
        return True


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.mean(a == b))


def _minhash(values: np.ndarray):
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """Signatures of the canonical articles, searchable by LSH (sub-linear in the corpus size)."""

    def __init__(self, threshold: float) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, np.ndarray] = {}
        self._about: dict[str, tuple[str, str, str]] = {}  # id → (title, source, published_at)

    def __len__(self) -> int:
        return len(self._signatures)

    def add(
        self, article_id: str, values: np.ndarray, title: str = "", source: str = "", published_at: str = ""
    ) -> None:
        if article_id in self._signatures:
            self.remove(article_id)
        self._signatures[article_id] = values
        self._about[article_id] = (title, source, published_at)
        self._lsh.insert(article_id, _minhash(values))

    def remove(self, article_id: str) -> None:
        if self._signatures.pop(article_id, None) is not None:
            self._about.pop(article_id, None)
            self._lsh.remove(article_id)

    def find(self, values: np.ndarray, article: Article) -> tuple[str, float] | None:
        """The canonical article most similar to ``article`` at or above the threshold, with a
        similar headline and a close date, and its estimated similarity."""
        candidates = self._lsh.query(_minhash(values))
        scored = []
        for candidate in candidates:
            if candidate == article.id:
                continue
            title, source, published_at = self._about[candidate]
            score = similarity(values, self._signatures[candidate])
            if (
                score >= self.threshold
                and similar_titles(article.title, article.source, title, source)
                and close_in_time(article.published_at, published_at)
            ):
                scored.append((score, candidate))
        if not scored:
            return None
        best_score, best_id = max(scored, key=lambda pair: (pair[0], pair[1]))
        return best_id, best_score


@dataclass
class DedupPlan:
    """What an ingest does about near-duplicates, decided before anything is embedded.

    The first copy stored is the canonical article, except that an article from anywhere else
    takes that place from an upload (an upload never stands in for an outlet's own story).
    """

    index: NearDuplicateIndex
    links: dict[str, list[Duplicate]] = field(default_factory=dict)  # canonical id → its copies
    n_chunks: dict[str, int] = field(default_factory=dict)  # stored canonical id → chunk count
    signatures: dict[str, str] = field(default_factory=dict)  # article to write → encoded signature
    changed: set[str] = field(default_factory=set)  # canonical ids whose links changed
    demoted: list[str] = field(default_factory=list)  # stored articles to delete (now copies, or superseded)
    linked: int = 0  # copies linked in this run
    unchanged: int = 0  # copies already linked with the same content
    uploads: dict[str, Duplicate] = field(default_factory=dict)  # canonical uploads, as links if one is demoted

    @classmethod
    def from_markers(cls, markers: Sequence[Mapping[str, object]], threshold: float) -> DedupPlan:
        """State of the store from its commit markers' metadata (signature and links)."""
        plan = cls(NearDuplicateIndex(threshold))
        for meta in markers:
            article_id = str(meta.get("article_id", ""))
            values = decode_signature(str(meta.get("minhash") or ""))
            if values is not None:
                about = (str(meta.get(key, "")) for key in ("title", "source", "published_at"))
                plan.index.add(article_id, values, *about)
                if is_uploaded(meta.get("provenance")):
                    plan.uploads[article_id] = Duplicate.from_marker(meta)
            plan.n_chunks[article_id] = int(str(meta.get("n_chunks", 1)))
            links = decode_duplicates(meta.get("duplicates"))
            if links:
                plan.links[article_id] = links
        return plan

    def canonical_of(self, article_id: str) -> str | None:
        return next((c for c, links in self.links.items() if any(d.id == article_id for d in links)), None)

    def supersede(self, old_id: str, new_id: str) -> None:
        """The stored article ``old_id`` is the same document as ``new_id`` under an id of an older
        scheme: it is deleted, and its copies move to the new id."""
        self.index.remove(old_id)
        self.uploads.pop(old_id, None)
        self.demoted.append(old_id)
        moved = self.links.pop(old_id, [])
        if moved:
            self.links.setdefault(new_id, []).extend(d for d in moved if d.id != new_id)
            self.changed.add(new_id)

    def place(
        self, articles: Sequence[Article], stored_ids: set[str], legacy_of: Mapping[str, str] | None = None
    ) -> list[Article]:
        """Link each article that copies a canonical one; return the articles still to embed.

        ``legacy_of``: article id → the id its file had under the older scheme; a copy linked
        under that old id (from the same file) is linked again under the new one.
        """
        alias_of = {d.id: c for c, links in self.links.items() for d in links}
        keep: list[Article] = []
        for article in articles:
            previous = alias_of.pop(article.id, None)
            if previous is not None:
                old = next(d for d in self.links[previous] if d.id == article.id)
                if old.content_hash == article.content_hash:
                    self.unchanged += 1
                    continue
                self._unlink(previous, article.id)
            self._unlink_legacy(article, (legacy_of or {}).get(article.id), alias_of)
            values = signature(article.text)
            match = self.index.find(values, article) if values is not None else None
            if match is not None and match[0] in self.uploads and not is_uploaded(article.provenance):
                self._take_over(match[0], article, stored_ids, keep, alias_of)
                match = None
            if match is None:
                if values is not None:
                    self.index.add(article.id, values, article.title, article.source, article.published_at)
                    self.signatures[article.id] = encode_signature(values)
                    if is_uploaded(article.provenance):
                        self.uploads[article.id] = Duplicate.of(article)
                keep.append(article)
                continue
            canonical = match[0]
            self.links.setdefault(canonical, []).append(Duplicate.of(article))
            self.changed.add(canonical)
            self.linked += 1
            alias_of[article.id] = canonical
            if article.id in stored_ids:  # it was stored as its own article: it goes
                self.demoted.append(article.id)
                self.index.remove(article.id)
                self.uploads.pop(article.id, None)
            for moved in self.links.pop(article.id, []):  # and its copies move with it
                self.links[canonical].append(moved)
                alias_of[moved.id] = canonical
        return keep

    def _take_over(
        self, upload_id: str, article: Article, stored_ids: set[str], keep: list[Article], alias_of: dict[str, str]
    ) -> None:
        """``article`` becomes the canonical story in place of the upload it copies, which becomes
        one of its links (with the upload's own copies)."""
        as_link = self.uploads.pop(upload_id)
        self.index.remove(upload_id)
        self.signatures.pop(upload_id, None)
        keep[:] = [a for a in keep if a.id != upload_id]
        if upload_id in stored_ids or upload_id in self.n_chunks:
            self.demoted.append(upload_id)
        moved = [as_link, *self.links.pop(upload_id, [])]
        self.links.setdefault(article.id, []).extend(moved)
        for link in moved:
            alias_of[link.id] = article.id
        self.linked += 1

    def _unlink_legacy(self, article: Article, legacy_id: str | None, alias_of: dict[str, str]) -> None:
        if legacy_id is None or legacy_id not in alias_of:
            return
        canonical = alias_of[legacy_id]
        old = next(d for d in self.links[canonical] if d.id == legacy_id)
        if same_file(old.path, article.path):
            alias_of.pop(legacy_id)
            self._unlink(canonical, legacy_id)

    def _unlink(self, canonical: str, article_id: str) -> None:
        self.links[canonical] = [d for d in self.links[canonical] if d.id != article_id]
        self.changed.add(canonical)


def same_file(stored_path: str, path: str) -> bool:
    """Whether a stored article's path (as given when it was ingested, maybe relative to another
    folder) names the file at ``path``."""
    if not stored_path or not path or "://" in stored_path or "://" in path:
        return False
    stored, here = Path(stored_path), Path(path).resolve()
    if stored.resolve() == here:
        return True
    return not stored.is_absolute() and here.parts[-len(stored.parts) :] == stored.parts
