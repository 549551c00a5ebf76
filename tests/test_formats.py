"""Feeds, URL lists, fetched pages and PDFs (issue 4), against a local HTTP server on 127.0.0.1.

Nothing here touches the internet: conftest.py blocks every non-loopback connection.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.fetch import USER_AGENT, Fetched, FetchError, FetchOptions, fetch
from rag.ingest import (
    SUPPORTED_SUFFIXES,
    IngestError,
    ParseError,
    content_hash,
    html_to_text,
    is_teaser,
    looks_like_url_list,
    make_article,
    parse_file,
    parse_url,
    path_id,
    url_id,
)

OPTIONS = FetchOptions(timeout=0.5, max_bytes=200_000)
SLOW_SECONDS = 2.0

_PARAGRAPHS = [
    "The city council approved the new harbour bridge on Tuesday after a debate that lasted most of the night, "
    "with eleven members voting in favour and four against the plan.",
    "Supporters said the bridge would cut the commute between the two districts by half and bring new shops to "
    "the waterfront, while opponents warned about the cost and the noise of the construction works.",
    "The mayor said building would start next spring and should be finished within three years, and that the "
    "city would publish the final budget before the end of the month so that residents can read it.",
    "Residents of the harbour district will be invited to two public meetings in January to discuss the route, "
    "the opening hours of the construction site and the temporary closure of the ferry landing.",
]
ARTICLE_TEXT = "\n\n".join(_PARAGRAPHS)


def has_article_text(text: str) -> bool:
    """All the story's paragraphs, and none of the page's scripts, styles or navigation."""
    junk = ("SECRET-SCRIPT", "color: red", "Home", "Copyright")
    return all(p in text for p in _PARAGRAPHS) and not any(j in text for j in junk)


def article_html(title: str, *, author: str = "", published: str = "", paragraphs: list[str] = _PARAGRAPHS) -> str:
    meta = ""
    if author:
        meta += f'<meta name="author" content="{author}">'
    if published:
        meta += f'<meta property="article:published_time" content="{published}">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title>{meta}"
        '<meta property="og:site_name" content="Harbour Gazette">'
        "<style>.ad { color: red }</style><script>var tracker = 'SECRET-SCRIPT';</script></head>"
        f"<body><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav><article><h1>{title}</h1>"
        f"{body}</article><footer>Copyright Harbour Gazette</footer></body></html>"
    )


def rss(items: str, *, title: str = "Harbour Gazette", extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{title}</title><link>https://gazette.example/</link>{extra}{items}</channel></rss>"
    )


def rss_item(
    title: str, link: str = "", *, description: str = "", content: str = "", date: str = "", author: str = ""
) -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link}</link>")
    if description:
        parts.append(f"<description><![CDATA[{description}]]></description>")
    if content:
        parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    if author:
        parts.append(f"<dc:creator>{author}</dc:creator>")
    return "<item>" + "".join(parts) + "</item>"


def full_rss(base: str) -> str:
    return rss(
        rss_item(
            "Council approves harbour bridge",
            f"{base}/news/bridge",
            content="".join(f"<p>{p}</p>" for p in _PARAGRAPHS),
            date="Tue, 24 Nov 2020 10:00:00 GMT",
            author="Jane Doe",
        )
        + rss_item(
            "Ferry landing to close",
            f"{base}/news/ferry",
            content="".join(f"<p>{p}</p>" for p in reversed(_PARAGRAPHS)),
            date="Wed, 25 Nov 2020 08:30:00 GMT",
            author="John Roe",
        )
    )


def teaser_rss(base: str) -> str:
    return rss(
        rss_item(
            "Bridge story",
            f"{base}/story1.html",
            description="The city council approved the new harbour bridge…",
            date="Tue, 24 Nov 2020 10:00:00 GMT",
        )
        + rss_item("Undated story", f"{base}/story2.html", description="Residents will be invited to meetings […]")
        + rss_item("Gone story", f"{base}/missing", description="This page no longer exists. Read more")
    )


def atom(base: str) -> str:
    content = "".join(f"&lt;p&gt;{p}&lt;/p&gt;" for p in _PARAGRAPHS)
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Atom Harbour Wire</title><updated>2020-11-26T00:00:00Z</updated><id>urn:feed</id>"
        f'<entry><title>Atom bridge entry</title><link href="{base}/atom/bridge"/><id>urn:1</id>'
        "<updated>2020-11-23T09:00:00Z</updated><author><name>Ann Atom</name></author>"
        f'<content type="html">{content}</content></entry></feed>'
    )


@dataclass
class Server:
    base: str
    routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = field(default_factory=dict)
    user_agents: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # paths asked for, in order

    def url(self, path: str) -> str:
        return self.base + path


def _send(status: int, body: bytes | str, content_type: str = "text/html; charset=utf-8", **headers: str):
    data = body.encode("utf-8") if isinstance(body, str) else body

    def handle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(data)

    return handle


def _slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(SLOW_SECONDS)
    _send(200, article_html("Slow"))(handler)


def _unsized(handler: BaseHTTPRequestHandler) -> None:
    """A large body with no Content-Length (HTTP/1.0, ends at close): only counting can catch it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.end_headers()
    for _ in range(50):
        handler.wfile.write(b"x" * 10_000)


def _redirect(location: str):
    def handle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return handle


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    state = Server(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.user_agents.append(self.headers.get("User-Agent", ""))
            state.requests.append(self.path)
            route = state.routes.get(self.path.split("?")[0], _send(404, "<h1>Not Found</h1>"))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: expected
                route(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    base = state.base
    state.routes.update(
        {
            "/article.html": _send(200, article_html("Council approves harbour bridge", author="Jane Doe",
                                                     published="2020-11-24T10:00:00Z")),
            "/nodate.html": _send(200, article_html("Undated page"), Last_Modified="Mon, 23 Nov 2020 07:00:00 GMT"),
            "/story1.html": _send(200, article_html("Bridge story", author="Page Author",
                                                    published="2020-11-24T10:00:00Z")),
            "/story2.html": _send(200, article_html("Undated story", author="Second Author",
                                                    published="2020-11-22")),
            "/full.rss": _send(200, full_rss(base), "application/rss+xml"),
            "/teasers.rss": _send(200, teaser_rss(base), "application/rss+xml"),
            "/feed.atom": _send(200, atom(base), "application/atom+xml"),
            "/vague-feed": _send(200, full_rss(base), "application/octet-stream"),
            "/doc.pdf": _send(200, tiny_pdf(["Harbour bridge report", "The council approved it."]), "application/pdf"),
            "/slow": _slow,
            "/error": _send(500, "<h1>oops</h1>"),
            "/big": _send(200, "x" * 300_000, "text/plain"),
            "/unsized": _unsized,
            "/redirect": _redirect("/article.html"),
            "/loop": _redirect("/loop"),
            "/to-ftp": _redirect("ftp://127.0.0.1/file"),
        }
    )  # fmt: skip
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- a tiny PDF, written by hand


def tiny_pdf(lines: list[str], *, title: str = "", created: str = "", author: str = "") -> bytes:
    """A one-page PDF with a real text layer (Helvetica), xref offsets computed."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    fields = (("Title", title), ("CreationDate", created), ("Author", author))
    info = "".join(f"/{key} ({value}) " for key, value in fields if value)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< {info}>>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _set_mtime(path: Path, day: str) -> None:
    stamp = datetime.fromisoformat(f"{day}T12:00:00").timestamp()
    os.utime(path, (stamp, stamp))


def _write(tmp_path: Path, name: str, content: str | bytes, mtime: str = "2019-05-06") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    _set_mtime(path, mtime)
    return path


# ---------------------------------------------------------------- fetch


def test_fetch_reads_a_page_and_sends_the_user_agent(server: Server) -> None:
    got = fetch(server.url("/article.html"), OPTIONS)
    assert got.status == 200 and got.content_type == "text/html"
    assert b"harbour bridge" in got.body
    assert server.user_agents[-1] == USER_AGENT


def test_fetch_follows_redirects(server: Server) -> None:
    got = fetch(server.url("/redirect"), OPTIONS)
    assert got.url == server.url("/redirect") and got.final_url == server.url("/article.html")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/slow", "timed out after 0.5 s"),
        ("/missing", "HTTP 404 Not Found"),
        ("/error", "HTTP 500 Internal Server Error"),
        ("/big", "response larger than 200,000 bytes"),  # refused from Content-Length
        ("/unsized", "response larger than 200,000 bytes"),  # refused while counting
        ("/loop", "too many redirects (more than 5)"),
        ("/to-ftp", "redirected to a URL that is not http(s)"),
    ],
)
def test_fetch_failures_have_readable_reasons(server: Server, path: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(server.url(path), OPTIONS)
    assert caught.value.reason == reason and caught.value.url == server.url(path)
    assert time.monotonic() - started < SLOW_SECONDS  # the slow endpoint is abandoned, not awaited


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1/x", "http://", "javascript:x"])
def test_fetch_only_http_urls(url: str) -> None:
    with pytest.raises(FetchError, match="not an http\\(s\\) URL"):
        fetch(url, OPTIONS)


def test_fetch_connection_refused() -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.1:{port}/", OPTIONS)
    assert caught.value.reason == "connection refused"


def test_fetch_bypasses_proxies_for_loopback(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://10.255.255.1:3128")  # would be blocked (and unreachable) if used
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert fetch(server.url("/article.html"), OPTIONS).status == 200
    assert fetch(server.url("/article.html").replace("127.0.0.1", "localhost"), OPTIONS).status == 200


def test_fetch_options_from_settings() -> None:
    from rag.settings import Settings

    options = FetchOptions.from_settings(Settings(fetch_timeout=2.5, fetch_max_bytes=1234, fetch_teasers=False))
    assert options == FetchOptions(timeout=2.5, max_bytes=1234, fetch_teasers=False)


# ---------------------------------------------------------------- RSS / Atom files


def test_full_text_rss_file(tmp_path: Path, server: Server) -> None:
    path = _write(tmp_path, "gazette.rss", full_rss("https://gazette.example"))
    articles, errors = parse_file(path, 1_000_000, OPTIONS)
    assert errors == []
    first, second = articles
    assert first.title == "Council approves harbour bridge"
    assert first.source == "Harbour Gazette" and first.byline == "Jane Doe"
    assert first.url == "https://gazette.example/news/bridge"
    assert first.published_at == "2020-11-24" and first.date_from == "feed"
    assert first.text == ARTICLE_TEXT
    assert first.path == str(path)
    assert first.id == url_id(first.url) and first.id.startswith("gazette-example-news-bridge-")
    assert second.published_at == "2020-11-25" and second.byline == "John Roe"
    assert server.user_agents == [] or all(ua == USER_AGENT for ua in server.user_agents)


def test_feed_suffixes_are_supported() -> None:
    assert {".rss", ".atom", ".xml", ".urls", ".pdf"} <= SUPPORTED_SUFFIXES


def test_atom_file_and_two_argument_call(tmp_path: Path) -> None:
    path = _write(tmp_path, "wire.atom", atom("https://wire.example"))
    [article], errors = parse_file(path, 1_000_000)  # the old two-argument call still works
    assert errors == []
    assert article.title == "Atom bridge entry" and article.source == "Atom Harbour Wire"
    assert article.byline == "Ann Atom" and article.url == "https://wire.example/atom/bridge"
    assert article.published_at == "2020-11-23" and article.date_from == "feed"
    assert article.text == ARTICLE_TEXT


def test_feed_dates_fall_back_to_feed_time_then_file_time(tmp_path: Path) -> None:
    body = "<p>" + " ".join(["word"] * 100) + "</p>"
    item = rss_item("No date", "https://gazette.example/a", content=body)
    with_feed_date = _write(tmp_path, "dated.xml", rss(item, extra="<lastBuildDate>Thu, 26 Nov 2020 06:00:00 GMT"
                                                                    "</lastBuildDate>"))  # fmt: skip
    [article], _ = parse_file(with_feed_date, 1_000_000, OPTIONS)
    assert (article.published_at, article.date_from) == ("2020-11-26", "feed-time")

    undated = _write(tmp_path, "undated.rss", rss(item), mtime="2019-05-06")
    [article], _ = parse_file(undated, 1_000_000, OPTIONS)
    assert (article.published_at, article.date_from) == ("2019-05-06", "file-time")


def test_teaser_entries_fetch_the_linked_page(tmp_path: Path, server: Server) -> None:
    path = _write(tmp_path, "teasers.rss", teaser_rss(server.base))
    articles, errors = parse_file(path, 1_000_000, OPTIONS)
    bridge, undated, gone = articles
    # Teaser → the page's main text; the entry's own date wins, the page's byline fills in.
    assert has_article_text(bridge.text)
    assert (bridge.published_at, bridge.date_from, bridge.byline) == ("2020-11-24", "feed", "Page Author")
    assert bridge.url == server.url("/story1.html") and bridge.id == url_id(server.url("/story1.html"))
    # An entry without a date takes the page's metadata date.
    assert (undated.published_at, undated.date_from, undated.byline) == ("2020-11-22", "metadata", "Second Author")
    # A failed fetch keeps the teaser and says so, naming the file and the entry.
    assert gone.text == "This page no longer exists. Read more"
    [error] = errors
    assert isinstance(error, IngestError) and error.path == str(path)
    assert "entry 3" in error.reason and "HTTP 404 Not Found" in error.reason
    assert str(error).startswith(f"{path}: entry 3")


def test_unchanged_teaser_entries_are_not_fetched_again(tmp_path: Path, server: Server) -> None:
    """A feed polled again: entries whose page is stored for the same entry version are skipped
    without a request; an entry that changed (or whose page failed) is fetched again."""
    path = _write(tmp_path, "teasers.rss", teaser_rss(server.base))
    first, _ = parse_file(path, 1_000_000, OPTIONS)
    stored = {a.url: a.feed_entry for a in first if a.feed_entry}
    assert set(stored) == {server.url("/story1.html"), server.url("/story2.html")}  # not the failed one

    asked: list[list[str]] = []

    def stored_entries(links: list[str]) -> dict[str, str]:
        asked.append(list(links))
        return {link: stored[link] for link in links if link in stored}

    options = replace(OPTIONS, stored_entries=stored_entries)
    server.requests.clear()
    articles, errors = parse_file(path, 1_000_000, options)
    assert server.requests == ["/missing"]  # only the page that failed last time
    assert [a.title for a in articles] == ["Gone story"]
    unchanged = [e for e in errors if e.unchanged]
    assert [e.reason.split(":")[0] for e in unchanged] == ["entry 1 ('Bridge story')", "entry 2 ('Undated story')"]
    assert [e.article_id for e in unchanged] == [url_id(server.url("/story1.html")), url_id(server.url("/story2.html"))]
    assert not any(e.warning for e in unchanged)
    assert len(asked) == 1  # one batched lookup per feed

    changed = teaser_rss(server.base).replace("new harbour bridge…", "new harbour bridge, at last…")
    path.write_text(changed, encoding="utf-8")
    server.requests.clear()
    articles, errors = parse_file(path, 1_000_000, options)
    assert sorted(server.requests) == ["/missing", "/story1.html"]
    bridge = next(a for a in articles if a.title == "Bridge story")
    assert has_article_text(bridge.text) and bridge.feed_entry and bridge.feed_entry != stored[bridge.url]


def test_pages_fetched_per_feed_are_capped(tmp_path: Path, server: Server) -> None:
    path = _write(tmp_path, "teasers.rss", teaser_rss(server.base))
    server.requests.clear()
    articles, errors = parse_file(path, 1_000_000, replace(OPTIONS, max_pages=1))
    assert server.requests == ["/story1.html"]
    assert has_article_text(articles[0].text)
    assert articles[1].text == "Residents will be invited to meetings […]"  # teaser kept, and said so once
    [over] = [e for e in errors if "over the limit of 1 linked pages per feed" in e.reason]
    assert over.warning and over.reason.startswith("2 entries")

    # Past the limit, an entry whose page is stored keeps that page: never downgraded to its teaser.
    stored_page = url_id(server.url("/story2.html"))
    options = replace(OPTIONS, max_pages=1, stored_entries=lambda links: {server.url("/story2.html"): "older"})
    articles, errors = parse_file(path, 1_000_000, options)
    assert [a.title for a in articles] == ["Bridge story", "Gone story"]
    kept = [e for e in errors if e.unchanged]
    assert [e.article_id for e in kept] == [stored_page] and "page limit" in kept[0].reason


def test_reingesting_a_teaser_feed_fetches_only_what_changed(tmp_path: Path, server: Server, fresh_settings) -> None:
    """Through the ingest and a real store: the second poll of an unchanged feed makes one request
    (the feed itself, plus the page that failed), writes nothing and counts the entries as skipped."""
    from rag.index import ingest_paths
    from rag.store import open_store

    feed = server.url("/teasers.rss")
    first = ingest_paths([feed], fresh_settings)
    assert (first.added, first.failed) == (3, 0) and len(first.warnings) == 1  # the 404 teaser kept

    server.requests.clear()
    again = ingest_paths([feed], fresh_settings)
    assert server.requests == ["/teasers.rss", "/missing"]
    assert (again.added, again.updated, again.skipped, again.chunks) == (0, 0, 3, 0)
    stored = open_store(fresh_settings).list_articles()
    assert sum(bool(m.get("feed_entry")) for m in stored) == 2

    # The entry's teaser is edited but its page is not: fetched once, nothing rewritten, and the
    # new entry version remembered so the poll after that fetches nothing again.
    original = server.routes["/teasers.rss"]
    edited = teaser_rss(server.base).replace("new harbour bridge…", "new harbour bridge, at last…")
    server.routes["/teasers.rss"] = _send(200, edited, "application/rss+xml")
    try:
        server.requests.clear()
        edited_run = ingest_paths([feed], fresh_settings)
        assert sorted(server.requests) == ["/missing", "/story1.html", "/teasers.rss"]
        assert (edited_run.skipped, edited_run.chunks) == (3, 0)
        server.requests.clear()
        ingest_paths([feed], fresh_settings)
        assert server.requests == ["/teasers.rss", "/missing"]
    finally:
        server.routes["/teasers.rss"] = original


def test_headline_only_entries_are_stored_marked_and_upgraded(tmp_path: Path, server: Server, fresh_settings) -> None:
    """An entry with a headline and a link but no text, whose page cannot be fetched, is stored as
    its headline, cited as "headline only (page not fetched)", and replaced by its page once a
    later poll fetches it; a page stored earlier is never downgraded to a headline."""
    from rag.answer import ask
    from rag.index import ingest_paths
    from rag.render import sources_text
    from rag.store import open_store

    items = rss_item("Harbour bridge approved by the council", server.url("/late.html"),
                     date="Tue, 24 Nov 2020 10:00:00 GMT") + rss_item("No link, no text")  # fmt: skip
    feed = _write(tmp_path, "headlines.rss", rss(items))
    first = ingest_paths([feed], fresh_settings)
    assert (first.added, first.failed) == (1, 1)  # the entry with neither text nor link: said, not stored
    assert "entry 2 ('No link, no text'): no text and no link" in str(first.errors[0])
    [warning] = first.warnings
    assert "entry 1" in warning and "stored the headline only" in warning and "HTTP 404" in warning
    store = open_store(fresh_settings)
    [stored] = store.list_articles()
    assert stored["provenance"] == "headline only (page not fetched)" and stored["url"] == server.url("/late.html")
    answer = ask(store, fresh_settings, "What did the council approve?")
    assert answer.citations and answer.citations[0].provenance == "headline only (page not fetched)"
    assert "Harbour Gazette, 2020-11-24, headline only (page not fetched)" in sources_text(answer.citations)

    server.requests.clear()
    assert ingest_paths([feed], fresh_settings).skipped == 1  # still unfetchable: kept as it is
    assert "/late.html" in server.requests  # but asked for again on every poll

    server.routes["/late.html"] = _send(200, article_html("Harbour bridge approved", published="2020-11-24"))
    try:
        upgraded = ingest_paths([feed], fresh_settings)
        assert (upgraded.added, upgraded.updated) == (0, 1)
        [page] = store.list_articles()
        assert page["article_id"] == stored["article_id"] and not page.get("provenance")
        assert has_article_text("\n\n".join(e.text for e in store.article_chunks(page["article_id"])))
    finally:
        del server.routes["/late.html"]
    # The entry changes while its page is down: the page stored earlier stays, and the poll says so.
    _write(tmp_path, "headlines.rss", rss(items.replace("approved by the council", "approved at last")))
    downgrade = ingest_paths([feed], fresh_settings)
    assert (downgrade.updated, downgrade.skipped) == (0, 1)
    assert any("kept the page stored earlier" in w for w in downgrade.warnings)
    assert not store.list_articles()[0].get("provenance")


def test_one_page_linked_from_two_feeds_settles(tmp_path: Path, server: Server, fresh_settings) -> None:
    """The same story's link in two feeds: the later feed's version is stored, and later polls
    neither flip it back and forth nor rewrite it."""
    from rag.index import ingest_paths

    first = _write(tmp_path, "a.rss", teaser_rss(server.base))
    second_feed = rss_item("Bridge story", server.url("/story1.html"), description="Other outlet's teaser…")
    second = _write(tmp_path, "b.rss", rss(second_feed, title="Other Outlet"))
    ingest_paths([first, second], fresh_settings)
    for _ in range(2):
        server.requests.clear()
        again = ingest_paths([first, second], fresh_settings)
        assert (again.chunks, again.added, again.updated) == (0, 0, 0)
        assert server.requests.count("/story1.html") == 1  # the first feed's entry: not the one stored
    [bridge] = [m for m in open_store_articles(fresh_settings) if m["url"] == server.url("/story1.html")]
    assert bridge["source"] == "Other Outlet" and bridge["path"] == str(second)


def open_store_articles(settings) -> list[dict]:
    from rag.store import open_store

    return open_store(settings).list_articles()


def test_teasers_are_kept_when_fetching_is_off(tmp_path: Path) -> None:
    def no_network(url: str, options: FetchOptions) -> Fetched:
        raise AssertionError(f"fetched {url}")

    path = _write(tmp_path, "teasers.rss", teaser_rss("https://gazette.example"))
    options = FetchOptions(timeout=0.5, max_bytes=1000, fetch_teasers=False)
    articles, errors = parse_file(path, 1_000_000, options, fetcher=no_network)
    assert errors == []
    assert articles[0].text == "The city council approved the new harbour bridge…"


def test_teaser_detection() -> None:
    long_text = " ".join(["word"] * 100)
    assert is_teaser("Short summary.")
    assert not is_teaser(long_text + ".")
    for ending in ("…", " [...]", " […]", " Read more", " Continue reading »"):
        assert is_teaser(long_text + ending), ending


def test_feed_with_broken_entries_keeps_the_others(tmp_path: Path) -> None:
    good = "<p>" + " ".join(["news"] * 100) + "</p>"
    items = (
        rss_item("Good one", "https://gazette.example/1", content=good)
        + "<item><title>Nothing at all</title></item>"
        + rss_item("Good two", "https://gazette.example/2", content=good)
        + rss_item("Only a link", "https://gazette.example/3")
    )
    path = _write(tmp_path, "broken.rss", rss(items))

    def offline(url: str, options: FetchOptions) -> Fetched:
        raise FetchError(url, "connection refused")

    articles, errors = parse_file(path, 1_000_000, OPTIONS, fetcher=offline)
    assert [a.title for a in articles] == ["Good one", "Good two", "Only a link"]  # the last one: its headline
    assert [e.reason.split(":")[0] for e in errors] == ["entry 2 ('Nothing at all')", "entry 4 ('Only a link')"]
    assert "no text and no link" in errors[0].reason and not errors[0].warning
    assert "stored the headline only" in errors[1].reason and "connection refused" in errors[1].reason
    assert errors[1].warning
    assert all(e.path == str(path) for e in errors)


def test_empty_and_malformed_feeds(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="empty file"):
        parse_file(_write(tmp_path, "empty.rss", b""), 1_000_000, OPTIONS)
    with pytest.raises(ParseError, match="malformed feed: line 1, column 29: unclosed token"):
        parse_file(_write(tmp_path, "bad.xml", "<rss><channel><item><title>x</ti"), 1_000_000, OPTIONS)
    declared = '<?xml version="1.0"?>\n<rss><channel>\n<item><title>x</ti'
    with pytest.raises(ParseError, match="malformed feed: line 3, column 15: unclosed token"):
        parse_file(_write(tmp_path, "bad.rss", declared), 1_000_000, OPTIONS)
    with pytest.raises(ParseError, match="no entries"):
        parse_file(_write(tmp_path, "sitemap.xml", "<?xml version='1.0'?><urlset></urlset>"), 1_000_000, OPTIONS)


def test_hostile_html_in_a_feed_entry_never_reaches_the_text(tmp_path: Path) -> None:
    hostile = (
        "<p>Real news about the harbour bridge.</p><script>steal('SCRIPT-1')</script>"
        "<style>body{background:url('STYLE-1')}</style><iframe src='https://evil.example'>IFRAME-1</iframe>"
        "<p onclick=\"alert('ATTR-1')\">Second paragraph <img src=x onerror=alert('IMG-1')>here.</p>"
        "<!-- COMMENT-1 --><noscript>NOSCRIPT-1</noscript>" + "<p>" + " ".join(["filler"] * 90) + "</p>"
    )
    path = _write(tmp_path, "hostile.rss", rss(rss_item("Hostile", "https://gazette.example/h", content=hostile)))
    [article], _ = parse_file(path, 1_000_000, OPTIONS)
    assert "Real news about the harbour bridge." in article.text and "Second paragraph here." in article.text
    for marker in ("SCRIPT-1", "STYLE-1", "IFRAME-1", "ATTR-1", "IMG-1", "COMMENT-1", "NOSCRIPT-1", "<", ">"):
        assert marker not in article.text, marker


def test_html_to_text_drops_scripts_itself() -> None:
    # feedparser sanitises too; this is the second guard, for markup that reaches us by another way.
    text = html_to_text("<p>one</p><script>evil()</script><style>p{}</style><p>two &amp; three</p><br>four")
    assert [line for line in text.split("\n") if line] == ["one", "two & three", "four"]
    assert "evil" not in html_to_text("<script>evil()")  # unclosed
    assert html_to_text("<p>one\ntwo</p>").strip() == "one two"  # a source line break is a space


# ---------------------------------------------------------------- URL lists


def test_url_list_with_bad_lines(tmp_path: Path, server: Server) -> None:
    lines = [
        "# today's reading",
        server.url("/article.html"),
        server.url("/slow"),
        "",
        server.url("/missing"),
        server.url("/full.rss"),
        "not a url",
    ]
    path = _write(tmp_path, "reading.urls", "\n".join(lines) + "\n")
    started = time.monotonic()
    articles, errors = parse_file(path, 1_000_000, OPTIONS)
    assert time.monotonic() - started < SLOW_SECONDS + 1
    assert [a.title for a in articles] == [
        "Council approves harbour bridge",
        "Council approves harbour bridge",
        "Ferry landing to close",
    ]
    page = articles[0]
    assert (page.byline, page.published_at, page.date_from) == ("Jane Doe", "2020-11-24", "metadata")
    assert page.source == "Harbour Gazette" and page.path == str(path)
    assert [(e.line, e.path) for e in errors] == [(3, str(path)), (5, str(path)), (7, str(path))]
    assert errors[0].reason == f"{server.url('/slow')}: timed out after 0.5 s"
    assert errors[1].reason == f"{server.url('/missing')}: HTTP 404 Not Found"
    assert "not an http(s) URL" in errors[2].reason
    assert str(errors[1]).startswith(f"{path}:5: ")


def test_txt_of_urls_is_a_url_list_and_other_txt_is_not(tmp_path: Path, server: Server) -> None:
    path = _write(tmp_path, "links.txt", f"# links\n{server.url('/article.html')}\n\n{server.url('/feed.atom')}\n")
    articles, errors = parse_file(path, 1_000_000, OPTIONS)
    assert errors == [] and [a.title for a in articles] == ["Council approves harbour bridge", "Atom bridge entry"]
    assert looks_like_url_list("https://a.example/x\n# c\nhttp://b.example")
    assert not looks_like_url_list("Title\nhttps://a.example/x\n")
    assert not looks_like_url_list("# only a comment\n")


def test_empty_url_list(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no URLs"):
        parse_file(_write(tmp_path, "none.urls", "# nothing yet\n"), 1_000_000, OPTIONS)


# ---------------------------------------------------------------- URLs given directly


def test_parse_url_page_with_metadata(server: Server) -> None:
    [article], errors = parse_url(server.url("/article.html"), OPTIONS)
    assert errors == []
    assert article.title == "Council approves harbour bridge" and has_article_text(article.text)
    assert (article.byline, article.published_at, article.date_from) == ("Jane Doe", "2020-11-24", "metadata")
    assert article.id == url_id(server.url("/article.html")) and article.id.startswith("127-0-0-1-article-html-")


def test_parse_url_page_without_date_uses_last_modified(server: Server) -> None:
    [article], _ = parse_url(server.url("/nodate.html"), OPTIONS)
    assert (article.published_at, article.date_from) == ("2020-11-23", "http-time")


def test_parse_url_follows_redirects(server: Server) -> None:
    [article], _ = parse_url(server.url("/redirect"), OPTIONS)
    assert article.url == server.url("/article.html") and article.id == url_id(server.url("/redirect"))


@pytest.mark.parametrize("path", ["/full.rss", "/vague-feed"])  # by content type, and by sniffing the body
def test_parse_url_feed_gives_all_entries(server: Server, path: str) -> None:
    articles, errors = parse_url(server.url(path), OPTIONS)
    assert errors == [] and [a.date_from for a in articles] == ["feed", "feed"]
    assert [a.path for a in articles] == [server.url(path)] * 2


def test_parse_url_teaser_feed_and_atom(server: Server) -> None:
    articles, errors = parse_url(server.url("/teasers.rss"), OPTIONS)
    assert has_article_text(articles[0].text) and len(articles) == 3
    [error] = errors
    assert error.path == server.url("/teasers.rss") and error.reason.startswith("entry 3")
    [article], _ = parse_url(server.url("/feed.atom"), OPTIONS)
    assert article.byline == "Ann Atom"


def test_parse_url_pdf(server: Server) -> None:
    [article], _ = parse_url(server.url("/doc.pdf"), OPTIONS)
    assert article.title == "Harbour bridge report" and "The council approved it." in article.text
    assert article.source == "127.0.0.1"


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/missing", "HTTP 404 Not Found"), ("/slow", "timed out after 0.5 s"), ("/error", "HTTP 500")],
)
def test_parse_url_failures_are_errors_not_exceptions(server: Server, path: str, reason: str) -> None:
    articles, [error] = parse_url(server.url(path), OPTIONS)
    assert articles == [] and error.path == server.url(path) and reason in error.reason


def test_parse_url_rejects_other_schemes() -> None:
    assert parse_url("file:///etc/passwd", OPTIONS) == ([], [IngestError("file:///etc/passwd", "not an http(s) URL")])


def test_url_ids_are_stable_and_readable() -> None:
    first = url_id("https://www.example.com/news/2020/11/bridge-vote?id=7")
    assert first == url_id("https://www.example.com/news/2020/11/bridge-vote?id=7#comments")
    assert first.startswith("example-com-news-2020-11-bridge-vote-") and len(first.rsplit("-", 1)[1]) == 8
    assert first != url_id("https://www.example.com/news/2020/11/bridge-vote?id=8")


# ---------------------------------------------------------------- HTML files


def test_html_file_with_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.html", article_html("Bridge", author="Jane Doe", published="2020-11-24"))
    [article], _ = parse_file(path, 1_000_000)
    assert (article.byline, article.published_at, article.date_from) == ("Jane Doe", "2020-11-24", "metadata")
    assert has_article_text(article.text)


def test_html_file_without_date_uses_file_time(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.html", article_html("Bridge"), mtime="2018-03-04")
    [article], _ = parse_file(path, 1_000_000)
    assert (article.published_at, article.date_from) == ("2018-03-04", "file-time")


def test_byline_is_not_part_of_the_content_hash() -> None:
    article = make_article("a", "T", "S", "2020-01-01", "", "Body text.", byline="  Jane   Doe ")
    assert article.byline == "Jane Doe"
    assert article.content_hash == content_hash("T", "S", "2020-01-01", "", "Body text.")


# ---------------------------------------------------------------- PDF


def test_pdf_with_text_layer_and_metadata(tmp_path: Path) -> None:
    data = tiny_pdf(["Harbour bridge report", "The council approved it."], title="Bridge Report",
                    created="D:20201124103000Z", author="City Clerk")  # fmt: skip
    path = _write(tmp_path, "report.pdf", data)
    [article], errors = parse_file(path, 1_000_000)
    assert errors == []
    assert (
        article.id == path_id(path)
        and "-report-pdf-" in article.id
        and article.title == "Bridge Report"
        and article.byline == "City Clerk"
    )
    assert article.text == "Harbour bridge report\nThe council approved it."
    assert (article.published_at, article.date_from) == ("2020-11-24", "metadata")


def test_pdf_without_metadata_uses_first_line_and_file_time(tmp_path: Path) -> None:
    path = _write(tmp_path, "bare.pdf", tiny_pdf(["First line title", "Body."]), mtime="2017-07-08")
    [article], _ = parse_file(path, 1_000_000)
    assert article.title == "First line title"
    assert (article.published_at, article.date_from) == ("2017-07-08", "file-time")


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(tiny_pdf(["Secret text"]))))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ParseError, match="encrypted PDF"):
        parse_file(_write(tmp_path, "locked.pdf", buffer.getvalue()), 1_000_000)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ParseError, match=r"no text layer \(a scanned PDF\?\)"):
        parse_file(_write(tmp_path, "scan.pdf", buffer.getvalue()), 1_000_000)


@pytest.mark.parametrize("data", [b"%PDF-1.4\nthis is not really a pdf", b"hello world", b"\x00\x01\x02" * 50, b""])
def test_garbage_pdf(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(_write(tmp_path, "junk.pdf", data), 1_000_000)
    assert str(caught.value).startswith(("unreadable PDF", "empty file"))


def test_teaser_linking_to_a_pdf(tmp_path: Path, server: Server) -> None:
    feed = rss(rss_item("Report", server.url("/doc.pdf"), description="Short summary …"))
    [article], errors = parse_file(_write(tmp_path, "pdf.rss", feed), 1_000_000, OPTIONS)
    assert errors == [] and article.text == "The council approved it."  # the heading is the title, not body text
    assert article.title == "Report" and article.id == url_id(server.url("/doc.pdf"))


# ---------------------------------------------------------------- end to end, through the CLI


def test_cli_ingests_urls_feeds_and_files_then_cites_them(tmp_path: Path, server: Server) -> None:
    """A new user's mixed ingest: a feed URL, a page URL, a URL that times out, a local feed file
    and an undated HTML file. Good sources are stored, each failure names its URL, and the
    fallback date is shown as such in the sources."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    local_feed = _write(tmp_path, "gazette.rss", atom(server.base))
    quarry = [
        "The Hollins quarry reopened on Friday after a safety inspection found the new barriers sound.",
        "Forty workers returned to the site, and the operator said blasting would resume next month.",
    ]
    undated = _write(
        tmp_path, "undated.html", article_html("Quarry reopens after inspection", paragraphs=quarry), mtime="2019-05-06"
    )
    env = dict(os.environ, NO_COLOR="1", ORT_DISABLE_TELEMETRY="1", NEWSBRIEF_FETCH_TIMEOUT="0.5")
    store = tmp_path / "store"

    def newsbrief(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "rag", "--store", str(store), *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, timeout=300)

    sources = [server.url("/full.rss"), server.url("/nodate.html"), server.url("/slow"), str(local_feed), str(undated)]
    done = newsbrief("ingest", "-q", *sources)
    assert done.returncode == 0, done.stderr[-3000:]
    assert server.url("/slow") in done.stdout + done.stderr and "timed out" in done.stdout + done.stderr
    assert "failed 1" in done.stdout, done.stdout

    again = newsbrief("ingest", "-q", *sources)
    assert "0 chunks written" in again.stdout, again.stdout

    asked = newsbrief("ask", "What reopened after the inspection?", "--json")
    assert asked.returncode == 0, asked.stderr[-3000:]
    result = json.loads(asked.stdout)
    assert not result["abstained"], result
    cited = result["citations"][0]
    assert cited["date_from"] == "file-time" and cited["published_at"] == "2019-05-06"
    text = newsbrief("ask", "What reopened after the inspection?")
    assert "(date from file time)" in text.stdout, text.stdout
