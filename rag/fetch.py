"""The one place newsbrief touches the network: GET an http(s) URL into bytes, or say why not.

The parsers (rag/ingest/) stay pure and receive :func:`fetch` as a plain callable, so tests can
hand them a fake; :func:`fetch_many` fetches several URLs through such a callable at once.
Bodies larger than the limit are refused, never silently truncated: a cut-off article would be
stored and cited as if it were whole.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from rag.settings import Settings

USER_AGENT = "newsbrief/0.1 (+offline RAG)"
MAX_REDIRECTS = 5
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class FetchOptions:
    """How patient and how greedy a fetch may be (from :class:`~rag.settings.Settings`)."""

    timeout: float = 15.0  # seconds for the whole request, connect to last byte
    max_bytes: int = 5_000_000  # a larger body is refused, not truncated
    fetch_teasers: bool = True  # a feed entry holding only a teaser: fetch its linked page
    max_pages: int = 100  # linked pages fetched per feed, at most; the other teasers are kept
    # Links → fingerprint of the feed entry their stored page was fetched for (see
    # Article.feed_entry). Set by the ingest from its store; None: nothing is stored, fetch all.
    stored_entries: Callable[[Sequence[str]], dict[str, str]] | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchOptions:
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            fetch_teasers=settings.fetch_teasers,
            max_pages=settings.fetch_max_pages,
        )


@dataclass(frozen=True)
class Fetched:
    """A successful (2xx) response, read in full."""

    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content_type: str  # media type only, lower case ("text/html"), "" when absent
    body: bytes
    last_modified: str = ""  # the raw Last-Modified header, "" when absent


class FetchError(Exception):
    """A URL that could not be fetched; ``reason`` is short and readable ("HTTP 404 Not Found")."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def is_http_url(text: str) -> bool:
    """True for an absolute http(s) URL with a host (the only kind newsbrief fetches)."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname) and " " not in text.strip()


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, options: FetchOptions) -> Fetched:
    """GET ``url`` (redirects followed, at most 5) → :class:`Fetched`, or raise :class:`FetchError`."""
    import httpx  # imported here: parsing local files never needs it

    if not is_http_url(url):
        raise FetchError(url, "not an http(s) URL")
    # Loopback never goes through a proxy from the environment (a corporate proxy cannot reach
    # this machine's 127.0.0.1); mounting the default transport for those hosts bypasses it.
    no_proxy: dict[str, httpx.BaseTransport | None] = {
        "all://127.0.0.1": None,
        "all://localhost": None,
        "all://[::1]": None,
    }
    deadline = time.monotonic() + options.timeout
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=httpx.Timeout(options.timeout),
                headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
                mounts=no_proxy,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".strip())
            too_large = f"response larger than {options.max_bytes:,} bytes"
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > options.max_bytes:
                raise FetchError(url, too_large)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > options.max_bytes:
                    raise FetchError(url, too_large)
                if time.monotonic() > deadline:  # a server trickling bytes must not hold us forever
                    raise FetchError(url, f"timed out after {options.timeout:g} s")
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Fetched(
                url=url,
                final_url=str(response.url),
                status=response.status_code,
                content_type=content_type,
                body=b"".join(chunks),
                last_modified=response.headers.get("last-modified", ""),
            )
    except FetchError:
        raise
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out after {options.timeout:g} s") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})") from exc
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(url, "redirected to a URL that is not http(s)") from exc
    except httpx.ConnectError as exc:
        raise FetchError(url, _connect_reason(exc, url)) from exc
    except httpx.HTTPError as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc
    except (OSError, ValueError) as exc:  # e.g. an invalid URL httpx refuses before connecting
        raise FetchError(url, str(exc) or type(exc).__name__) from exc


def _connect_reason(exc: Exception, url: str) -> str:
    text = str(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return f"unknown host {urlsplit(url).hostname}"
    return f"cannot connect ({text or type(exc).__name__})"


def fetch_many(
    urls: Iterable[str], options: FetchOptions, fetcher: Callable[[str, FetchOptions], Fetched] = fetch
) -> dict[str, Fetched | FetchError]:
    """Fetch each distinct URL, a few at a time (each has its own timeout); failures become values."""
    from concurrent.futures import ThreadPoolExecutor

    def one(url: str) -> Fetched | FetchError:
        try:
            return fetcher(url, options)
        except FetchError as exc:
            return exc
        except Exception as exc:  # a broken fetcher must not lose the rest of the feed or list
            return FetchError(url, f"{type(exc).__name__}: {exc}")

    unique = list(dict.fromkeys(urls))
    if len(unique) <= 1:
        return {url: one(url) for url in unique}
    with ThreadPoolExecutor(max_workers=min(8, len(unique)), thread_name_prefix="newsbrief-fetch") as pool:
        return dict(zip(unique, pool.map(one, unique), strict=True))
