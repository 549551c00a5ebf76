"""The real app in a real browser: `streamlit run app.py` driven by headless Debian Chromium.

Never downloads a browser: skipped when /usr/bin/chromium or playwright is missing
(``make chromium`` installs Debian's package).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.settings import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 90  # seconds for `streamlit run` to answer /_stcore/health
ANSWER_TIMEOUT_MS = 90_000  # first question also loads the store and the embedding model
UI_TIMEOUT_MS = 30_000

WION_TITLE = "China's foreign minister visits Japan"


@pytest.fixture(scope="module")
def sync_playwright() -> Any:
    """playwright's ``sync_playwright``, or a clean skip when the browser test cannot run here."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (install Debian's chromium: `make chromium`); no browser is downloaded")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.skip(f"playwright is not importable ({exc}); install the dev extras")
    return sync_playwright


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture
def app_url(sync_playwright: Any, bundled_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port over the bundled store; stopped afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
    ]
    env = {
        **os.environ,
        "NEWSBRIEF_HOME": str(bundled_settings.home),
        "ORT_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    log_path = tmp_path / "streamlit.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _health_ok(f"{url}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit not healthy after {SERVER_START_TIMEOUT}s:\n{log_path.read_text(errors='replace')}"
                )
            time.sleep(0.5)
        yield url
    finally:
        _stop(proc)


def test_chat_in_the_browser(sync_playwright: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "browser-chat.png"
    screenshot.unlink(missing_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            try:
                page.goto(app_url, wait_until="domcontentloaded")
                expect(page.get_by_role("heading", name="Ask the news")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

                box = page.locator('[data-testid="stChatInput"] textarea')
                expect(box).to_be_editable(timeout=UI_TIMEOUT_MS)
                box.fill("What did Motegi plan to raise?")
                box.press("Enter")

                answer = (
                    page.locator('[data-testid="stChatMessage"]')
                    .filter(has=page.locator('[data-testid="stChatMessageAvatarAssistant"]'))
                    .filter(has_text="East China Sea")
                )
                expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
                expect(answer).to_contain_text("[1]")

                source = answer.locator('[data-testid="stExpander"]').filter(has_text=WION_TITLE)
                expect(source).to_have_count(1, timeout=UI_TIMEOUT_MS)
                expect(source.locator("summary")).to_contain_text("[1]")
                expect(source.locator("summary")).to_contain_text("WION")
                quote = source.locator("blockquote")
                expect(quote).to_be_hidden()
                source.locator("summary").click()
                details = source.locator("details")
                expect(details).to_have_attribute("open", "", timeout=UI_TIMEOUT_MS)
                expect(quote).to_be_visible(timeout=UI_TIMEOUT_MS)
                # The expander slides open: wait until the quote is really shown, not clipped mid-animation.
                page.wait_for_function(
                    """([d, q]) => d.open && d.getAnimations({subtree: true}).length === 0
                        && q.getBoundingClientRect().bottom <= d.getBoundingClientRect().bottom + 1""",
                    arg=[details.element_handle(), quote.element_handle()],
                    timeout=UI_TIMEOUT_MS,
                )
                expect(quote).to_contain_text("Motegi would also raise concerns")
                expect(quote).to_contain_text("East China Sea")

                expect(page.locator('[data-testid="stException"]')).to_have_count(0)
            except BaseException:
                with contextlib.suppress(Exception):  # best effort: the failure itself matters more
                    page.screenshot(path=str(screenshot), full_page=True)
                raise
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 0
