"""A tiny OpenAI-compatible server for tests: stdlib ``http.server`` in a thread, loopback only.

Implements ``POST /v1/chat/completions`` (JSON, or server-sent events when ``"stream": true``)
and ``GET /v1/models``. Every request is recorded. The reply text comes from a *policy*, a
function of the request's messages; :func:`best_sentence` (the default) plays a well-behaved
model that quotes the passage sentence sharing most words with the question and cites it.

    with FakeOpenAI() as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url   # http://127.0.0.1:PORT/v1
        ...
        server.policy = fixed("NOT_FOUND")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]
Policy = Callable[[Messages], str]

PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+|\n+")
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "she",
        "that",
        "the",
        "their",
        "they",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
    }
)


# ---------------------------------------------------------------- reading a request


def text_of(message: dict[str, Any]) -> str:
    """A message's text, whether ``content`` is a string or a list of content parts."""
    content = message.get("content") or ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def last_user_text(messages: Messages) -> str:
    users = [text_of(m) for m in messages if m.get("role") == "user"]
    return users[-1] if users else ""


def system_text(messages: Messages) -> str:
    return "\n".join(text_of(m) for m in messages if m.get("role") in ("system", "developer"))


def passages(messages: Messages) -> dict[int, str]:
    """The numbered passages of the last user message: ``{n: text}``."""
    return {int(n): body for n, body in PASSAGE.findall(last_user_text(messages))}


def question(messages: Messages) -> str:
    """The text after the last ``Question:`` (outside the passages) of the last user message."""
    text = PASSAGE.sub("", last_user_text(messages))
    _, found, rest = text.rpartition("Question:")
    return rest.strip() if found else text.strip()


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


# ---------------------------------------------------------------- policies


def best_sentence(messages: Messages, marker: str = "after") -> str:
    """Quote the passage sentence sharing most words with the question, then its marker.

    ``marker="after"`` writes ``Sentence. [n]``; ``"before"`` writes ``Sentence [n].``.
    Replies ``NOT_FOUND`` when no sentence shares a word with the question.
    """
    wanted = _terms(question(messages))
    best: tuple[int, int, str] | None = None  # (overlap, n, sentence); first best wins
    for n, body in sorted(passages(messages).items()):
        for sentence in split_sentences(body):
            overlap = len(wanted & _terms(sentence))
            if overlap and (best is None or overlap > best[0]):
                best = (overlap, n, sentence)
    if best is None:
        return "NOT_FOUND"
    _, n, sentence = best
    if marker == "before" and sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


def best_sentence_marker_before(messages: Messages) -> str:
    return best_sentence(messages, marker="before")


def fixed(text: str) -> Policy:
    """A policy that always replies ``text``."""
    return lambda messages: text


# ---------------------------------------------------------------- the server


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None

    @property
    def messages(self) -> Messages:
        return list((self.body or {}).get("messages", []))


@dataclass
class FakeOpenAI:
    policy: Policy = best_sentence
    models: tuple[str, ...] = ("gpt-4o-mini", "fake-model")
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not running"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------ what was asked

    def record(self, item: Recorded) -> None:
        with self._lock:
            self.requests.append(item)

    @property
    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith("/chat/completions")]

    def reply_for(self, messages: Messages) -> str:
        return self.policy(messages)


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet in tests
            pass

        # ---------------------------------------------------- plumbing

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
            self._send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

        def _path(self) -> str:
            return self.path.split("?", 1)[0].rstrip("/")

        # ---------------------------------------------------- routes

        def do_GET(self) -> None:
            fake.record(Recorded("GET", self.path, dict(self.headers), None))
            if self._path() in ("/v1/models", "/models"):
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in fake.models]
                self._send_json(200, {"object": "list", "data": data})
            else:
                self._error(404, f"no route GET {self.path}")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                fake.record(Recorded("POST", self.path, dict(self.headers), None))
                self._error(400, "request body is not JSON")
                return
            fake.record(Recorded("POST", self.path, dict(self.headers), body))
            if self._path() not in ("/v1/chat/completions", "/chat/completions"):
                self._error(404, f"no route POST {self.path}")
                return
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                self._error(400, "'messages' must be a non-empty list")
                return
            try:
                text = fake.reply_for(messages)
            except Exception as exc:  # a broken policy becomes a 500, not a hang
                self._error(500, f"policy failed: {exc!r}", "server_error")
                return
            model = str(body.get("model") or fake.models[0])
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._stream(model, text, messages, include_usage)
            else:
                self._send_json(200, completion(model, text, messages))

        def _stream(self, model: str, text: str, messages: Messages, include_usage: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            ident, created = _ident(), int(time.time())

            def event(delta: dict[str, Any], finish: str | None = None) -> None:
                chunk = {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())

            event({"role": "assistant", "content": ""})
            for piece in re.findall(r"\S+\s*|\s+", text):
                event({"content": piece})
            event({}, "stop")
            if include_usage:
                usage = {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": _usage(messages, text),
                }
                self.wfile.write(f"data: {json.dumps(usage)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


_COUNTER = iter(range(1, 1 << 62))


def _ident() -> str:
    return f"chatcmpl-fake-{next(_COUNTER)}"


def _usage(messages: Messages, text: str) -> dict[str, int]:
    prompt = sum(len(text_of(m).split()) for m in messages)
    completion_tokens = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def completion(model: str, text: str, messages: Messages) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` object."""
    return {
        "id": _ident(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(messages, text),
    }
