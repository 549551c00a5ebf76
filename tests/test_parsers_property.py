"""Property-based tests: random bytes and text fed to the parsers and the chunker.

Nothing crashes (only the module's own ParseError/IngestError come out) and nothing is lost
(every non-space character of an article body reaches the article text and its chunks).
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rag.chunk import chunk_article, count_tokens, sentence_spans
from rag.ingest import (
    SUPPORTED_SUFFIXES,
    IngestError,
    ParseError,
    normalise_text,
    parse_date,
    parse_file,
    parse_jsonl,
    parse_txt,
)
from rag.types import Article

_SURROGATE = re.compile("[\ud800-\udfff]")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _non_space(text: str) -> str:
    """The text with all whitespace removed (``str.split`` and ``str.strip`` agree on what that is)."""
    return "".join(text.split())


def _parse_bytes(data: bytes, suffix: str) -> tuple[Path, tuple | ParseError]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        try:
            return path, parse_file(path)
        except ParseError as exc:
            return path, exc


def _assert_clean_outcome(path: Path, outcome: tuple | ParseError) -> None:
    if isinstance(outcome, ParseError):
        assert str(outcome).strip(), "a ParseError must say why"
        return
    articles, errors = outcome
    assert articles or errors
    for article in articles:
        assert isinstance(article, Article)
        assert article.text.strip() and article.text == article.text.strip()
        assert article.content_hash
    for error in errors:
        assert isinstance(error, IngestError)
        assert error.path == str(path) and str(path) in str(error)
        assert error.reason.strip()


# ---------------------------------------------------------------- random bytes / text, any format

_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "shift_jis", "koi8-r"]


@st.composite
def _encoded_text(draw: st.DrawFn) -> bytes:
    text = draw(st.text(max_size=400))
    encoding = draw(st.sampled_from(_ENCODINGS))
    return text.encode(encoding, errors="replace")


_BYTES = st.one_of(
    st.binary(max_size=600),
    _encoded_text(),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]),
        st.binary(max_size=300),
    ),
    st.builds(lambda b: b"<html><body><p>" + b + b"</p></body></html>", st.binary(max_size=300)),
    st.builds(lambda b: b'{"id": "x", "body": "' + b + b'"}', st.binary(max_size=300)),
)


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
@SETTINGS
@given(data=_BYTES)
def test_random_bytes_never_crash_the_parser(suffix: str, data: bytes) -> None:
    path, outcome = _parse_bytes(data, suffix)
    _assert_clean_outcome(path, outcome)


_TEXT_LAYOUTS = st.one_of(
    st.text(max_size=500),
    st.builds(lambda t: f"---\ntitle: {t}\ndate: {t}\n---\n# {t}\n{t}", st.text(max_size=80)),
    st.builds(lambda t: f"Title\nUpdated: {t}\nBy {t} Web Team\n\n{t}", st.text(max_size=80)),
    st.builds(lambda t: json.dumps([{"id": t, "body": t, "date": t}, t, None]), st.text(max_size=80)),
    st.builds(lambda t: json.dumps({"id": 1, "body": "x", "published_at": t}), st.text(max_size=80)),
)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".json", ".jsonl"])
@SETTINGS
@given(text=_TEXT_LAYOUTS)
def test_random_text_never_crashes_the_parser(suffix: str, text: str) -> None:
    path, outcome = _parse_bytes(text.encode("utf-8", errors="surrogatepass"), suffix)
    _assert_clean_outcome(path, outcome)


@SETTINGS
@given(text=st.one_of(st.text(max_size=80), st.dates().map(date.isoformat), st.datetimes().map(str)))
def test_parse_date_returns_iso_or_empty(text: str) -> None:
    result = parse_date(text)
    assert result == "" or date.fromisoformat(result).isoformat() == result


# ---------------------------------------------------------------- Wikinews .txt: nothing is lost

_LINE_TEXT = st.text(st.characters(blacklist_characters="\n\r"), min_size=1, max_size=60)  # lone surrogates too
_ENCODABLE_LINE = st.text(
    st.characters(blacklist_characters="\n\r\x00", blacklist_categories=["Cs"]), min_size=1, max_size=60
)
_LONG_LINE = st.builds(lambda word, n: " ".join([word] * n), st.text(min_size=1, max_size=12), st.integers(200, 2000))
_BODY = st.one_of(st.text(min_size=1, max_size=800), _LONG_LINE, st.lists(_LINE_TEXT, max_size=20).map("\n".join))


def _wikinews(title: str, source: str, day: date, body: str) -> str:
    return f"{title}\n{source}\n{day.isoformat()}\n\n{body}\n"


@SETTINGS
@given(title=_LINE_TEXT, source=_LINE_TEXT, day=st.dates(), body=_BODY)
def test_wikinews_txt_keeps_every_body_character(title: str, source: str, day: date, body: str) -> None:
    assume(normalise_text(title) and normalise_text(body))
    article = parse_txt(_wikinews(title, source, day, body), Path("wiki.txt"))
    assert article.published_at == day.isoformat()
    assert article.title == " ".join(normalise_text(title).split())
    # Normalisation only drops NULs and whitespace and replaces lone surrogates (all documented):
    # every other character of the body survives, in order.
    assert _non_space(article.text) == _non_space(_SURROGATE.sub("\ufffd", body.replace("\x00", "")))
    assert article.text == normalise_text(article.text)


@SETTINGS
@given(
    title=_ENCODABLE_LINE,
    source=_ENCODABLE_LINE,
    day=st.dates(),
    body=_BODY.filter(lambda t: "\x00" not in t and not _SURROGATE.search(t)),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_wikinews_file_round_trips_through_decode(title: str, source: str, day: date, body: str, encoding: str) -> None:
    assume(normalise_text(title).lstrip("\ufeff") and normalise_text(body))
    _, outcome = _parse_bytes(_wikinews(title, source, day, body).encode(encoding), ".txt")
    assert not isinstance(outcome, ParseError), outcome
    [article], errors = outcome
    assert errors == []
    assert article.published_at == day.isoformat()
    assert _non_space(article.text) == _non_space(body)


# ---------------------------------------------------------------- chunking

_PIECES = [*"aB Zx0 .!?\n\"'”’)(“ \t", "Mr.", "U.S.", " J. ", "é", "中", "Hello world. ", "It rained!\n"]
_SENTENCY = st.lists(st.sampled_from(_PIECES), max_size=300).map("".join)
_ARTICLE_TEXT = st.one_of(_SENTENCY, st.text(max_size=600), _LONG_LINE)


@SETTINGS
@given(text=_ARTICLE_TEXT, max_tokens=st.integers(1, 80))
def test_chunks_cover_the_text_in_order_within_budget(text: str, max_tokens: int) -> None:
    article = Article(id="a", title="T", source="S", published_at="", url="", text=text, content_hash="h")
    chunks = chunk_article(article, max_tokens=max_tokens)
    spans = sentence_spans(text)
    sentence_starts = {s for s, _ in spans}
    sentence_ends = {e for _, e in spans}
    previous_end = 0
    for i, chunk in enumerate(chunks):
        assert chunk.index == i and chunk.id == f"a:{i}"
        assert text[chunk.start : chunk.end] == chunk.text and chunk.text.strip()
        assert previous_end <= chunk.start < chunk.end
        assert chunk.start in sentence_starts and chunk.end in sentence_ends
        previous_end = chunk.end
        inside = [(s, e) for s, e in spans if chunk.start <= s and e <= chunk.end]
        used = sum(count_tokens(text[s:e]) for s, e in inside)
        assert used <= max_tokens or len(inside) == 1, "only a lone over-long sentence may exceed the budget"
    # Whatever falls between chunks is whitespace: nothing is lost.
    assert _non_space("".join(c.text for c in chunks)) == _non_space(text)
    for start, end in spans:
        assert text[start:end] == text[start:end].strip() and "\n" not in text[start:end]


# ---------------------------------------------------------------- JSON lines

_VALID = st.fixed_dictionaries(
    {
        "id": st.one_of(_LINE_TEXT.filter(str.strip), st.integers()),
        "body": st.text(min_size=1, max_size=200).filter(lambda t: normalise_text(t).strip()),
    },
    optional={"title": st.text(max_size=40), "source": st.text(max_size=20), "published_at": st.dates().map(str)},
)
_INVALID = st.one_of(
    st.text(st.characters(blacklist_characters="\n}"), max_size=80).map(lambda t: "{" + t),  # never closes
    st.one_of(st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3)).map(json.dumps),
    st.fixed_dictionaries({"id": st.text(min_size=1, max_size=10)}).map(json.dumps),  # no body
    st.fixed_dictionaries({"body": st.text(min_size=1, max_size=40).filter(str.strip)}).map(json.dumps),  # no id
    st.sampled_from(['{"id": "x", "body": "   "}', '{"id": "  ", "body": "text"}', '{"id": "x", "body": 5}']),
)


@SETTINGS
@given(
    lines=st.lists(
        st.one_of(
            st.tuples(st.just(True), _VALID, st.booleans()),
            st.tuples(st.just(False), _INVALID, st.just(False)),
            st.tuples(st.none(), st.sampled_from(["", "  ", "\t"]), st.just(False)),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_jsonl_valid_lines_become_articles_invalid_ones_are_reported(lines: list) -> None:
    rendered, valid, invalid_lines = [], [], []
    for number, (kind, value, ascii_only) in enumerate(lines, start=1):
        if kind is True:
            rendered.append(json.dumps(value, ensure_ascii=ascii_only))
            valid.append(value)
        else:
            rendered.append(value if isinstance(value, str) else json.dumps(value))
            if kind is False:
                invalid_lines.append(number)
    text = "\n".join(rendered)
    if not valid and not invalid_lines:
        with pytest.raises(ParseError):
            parse_jsonl(text, "feed.jsonl")
        return
    articles, errors = parse_jsonl(text, "feed.jsonl")
    assert [a.id for a in articles] == [str(v["id"]) for v in valid]
    assert [a.text for a in articles] == [normalise_text(v["body"]) for v in valid]
    assert [e.line for e in errors if not e.warning] == invalid_lines
    repeats = [n for n, v in enumerate(valid) if any(str(w["id"]) == str(v["id"]) for w in valid[:n])]
    assert len([e for e in errors if "is also on line" in e.reason]) == len(repeats)  # said, never silent
    for error in errors:
        assert error.path == "feed.jsonl" and str(error).startswith(f"feed.jsonl:{error.line}: ")


# ---------------------------------------------------------------- feeds, URL lists, PDFs (issue 4)
#
# The network is a fake here: each URL's outcome (a page, a feed, junk, a failure) is drawn too.

from xml.sax.saxutils import escape  # noqa: E402

from rag.fetch import Fetched, FetchError, FetchOptions  # noqa: E402
from rag.ingest import parse_feed, parse_url, parse_url_list  # noqa: E402
from tests.test_formats import article_html, tiny_pdf  # noqa: E402

_OPTIONS = FetchOptions(timeout=0.5, max_bytes=100_000)
_FIELD = st.one_of(st.text(max_size=120), st.sampled_from(["", "…", "Read more", "<p>x</p><script>s()</script>"]))
_LINK = st.one_of(
    st.just(""),
    st.sampled_from(["https://n.example/a", "http://n.example/b?x=1", "javascript:alert(1)", "/relative"]),
    st.text(max_size=30),
)
_OUTCOMES = st.one_of(
    st.builds(lambda r: FetchError("u", r or "failed"), st.text(max_size=30)),
    st.builds(lambda t: ("text/html", article_html("Page", paragraphs=[t] * 3).encode()), st.text(max_size=200)),
    st.tuples(st.sampled_from(["text/html", "application/rss+xml", "application/pdf", "text/plain", ""]),
              st.binary(max_size=300)),
    st.just(("application/pdf", tiny_pdf(["Page one", "Body."]))),
)  # fmt: skip


def _fake_fetcher(outcomes: list) -> object:
    """A fetcher whose answer for a URL is picked (deterministically) from the drawn outcomes."""

    def fetcher(url: str, options: FetchOptions) -> Fetched:
        outcome = outcomes[sum(url.encode("utf-8", "surrogatepass")) % len(outcomes)]
        if isinstance(outcome, FetchError):
            raise FetchError(url, outcome.reason)
        content_type, body = outcome
        return Fetched(url, url, 200, content_type, body, "Mon, 23 Nov 2020 07:00:00 GMT")

    return fetcher


def _assert_errors_name(where: str, articles: list, errors: list) -> None:
    for article in articles:
        assert isinstance(article, Article) and article.text.strip() and article.content_hash
        assert article.date_from in {"feed", "feed-time", "file-time", "http-time", "metadata", "unknown"}
        assert (article.published_at == "") == (article.date_from == "unknown")
    for error in errors:
        assert isinstance(error, IngestError) and error.path == where and error.reason.strip()


@st.composite
def _feed_bytes(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        fields = {
            "title": draw(_FIELD),
            "link": draw(_LINK),
            "description": draw(_FIELD),
            "pubDate": draw(st.one_of(st.just(""), st.text(max_size=30), st.just("Tue, 24 Nov 2020 10:00:00 GMT"))),
            "author": draw(_FIELD),
        }
        cdata = draw(st.booleans())
        parts = [
            f"<{key}><![CDATA[{value}]]></{key}>" if cdata else f"<{key}>{escape(value)}</{key}>"
            for key, value in fields.items()
            if value or draw(st.booleans())
        ]
        items.append("<item>" + "".join(parts) + "</item>")
    text = f"<rss version='2.0'><channel><title>{escape(draw(_FIELD))}</title>{''.join(items)}</channel></rss>"
    cut = draw(st.integers(0, len(text)))  # sometimes cut off mid-tag
    text = text if draw(st.booleans()) else text[:cut]
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@SETTINGS
@given(
    data=st.one_of(_feed_bytes(), st.binary(max_size=400), _encoded_text()),
    outcomes=st.lists(_OUTCOMES, min_size=1, max_size=4),
    teasers=st.booleans(),
)
def test_random_feeds_never_crash(data: bytes, outcomes: list, teasers: bool) -> None:
    options = FetchOptions(timeout=0.5, max_bytes=100_000, fetch_teasers=teasers)
    try:
        articles, errors = parse_feed(data, "feed.rss", options, _fake_fetcher(outcomes), file_time="2019-01-02")
    except ParseError as exc:
        assert str(exc).strip()
        return
    assert articles or errors
    _assert_errors_name("feed.rss", articles, errors)
    for error in errors:
        assert error.reason.startswith("entry ")


_URL = st.builds(
    lambda scheme, path: f"{scheme}://n.example/{path}",
    st.sampled_from(["http", "https", "ftp"]),
    st.text(st.characters(whitelist_categories=["Ll", "Nd"]), max_size=12),
)
_LIST_LINE = st.one_of(
    _URL, st.just("# comment"), st.just(""), st.text(max_size=40).map(lambda t: t.replace("\n", " "))
)


@SETTINGS
@given(lines=st.lists(_LIST_LINE, max_size=8), outcomes=st.lists(_OUTCOMES, min_size=1, max_size=4))
def test_random_url_lists_never_crash_and_name_their_lines(lines: list[str], outcomes: list) -> None:
    text = "\n".join(lines)
    fetcher = _fake_fetcher(outcomes)
    try:
        articles, errors = parse_url_list(text, "list.urls", _OPTIONS, fetcher)
    except ParseError as exc:
        assert "no URLs" in str(exc)
        assert all(not line.strip() or line.strip().startswith("#") for line in lines)
        return
    _assert_errors_name("list.urls", articles, errors)
    numbers = range(1, len(lines) + 1)
    assert all(error.line in numbers for error in errors)
    for number, line in enumerate(lines, start=1):
        url = line.strip()
        if not url or url.startswith("#"):
            assert all(error.line != number for error in errors)
        elif not url.startswith("http"):
            assert any(e.line == number and "not an http(s) URL" in e.reason for e in errors)
        else:
            try:
                fetcher(url, _OPTIONS)
            except FetchError as exc:  # a failed fetch is reported on its line, with its reason (a
                # blank one, "\r", is reported as "the fetch failed")
                reason = exc.reason.strip() or "the fetch failed"
                assert any(e.line == number and e.reason == f"{url}: {reason}" for e in errors)


@SETTINGS
@given(url=st.one_of(_URL, st.text(max_size=40)), outcomes=st.lists(_OUTCOMES, min_size=1, max_size=4))
def test_parse_url_never_raises(url: str, outcomes: list) -> None:
    articles, errors = parse_url(url, _OPTIONS, _fake_fetcher(outcomes))
    assert articles or errors
    _assert_errors_name(url.strip(), articles, errors)


_VALID_PDF = tiny_pdf(["Harbour bridge report", "The council approved it."], title="Report")


@st.composite
def _damaged_pdf(draw: st.DrawFn) -> bytes:
    data = bytearray(_VALID_PDF)
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    end = draw(st.integers(1, len(data)))
    return bytes(data[:end] if draw(st.booleans()) else data)


@SETTINGS
@given(
    data=st.one_of(_damaged_pdf(), st.binary(max_size=400), st.binary(max_size=200).map(lambda b: b"%PDF-1.4\n" + b))
)
def test_random_pdfs_never_crash(data: bytes) -> None:
    path, outcome = _parse_bytes(data, ".pdf")
    _assert_clean_outcome(path, outcome)
    if not isinstance(outcome, ParseError):
        [article], errors = outcome
        assert errors == [] and article.date_from in {"metadata", "file-time"}
