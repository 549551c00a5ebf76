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


def start_app(home: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run app.py` on a free loopback port over the store in ``home``."""
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
        "NEWSBRIEF_HOME": str(home),
        "ORT_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
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
    except BaseException:
        _stop(proc)
        raise
    return proc, url


@pytest.fixture(scope="module")
def app_url(
    sync_playwright: Any, bundled_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app over the bundled store, shared by the chat and brief tests; always stopped."""
    proc, url = start_app(bundled_settings.home, tmp_path_factory.mktemp("browser") / "streamlit.log")
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture
def empty_app_url(sync_playwright: Any, tmp_path: Path) -> Iterator[str]:
    """The app over an empty store of its own, for uploads."""
    proc, url = start_app(tmp_path / "store", tmp_path / "streamlit.log")
    try:
        yield url
    finally:
        _stop(proc)


@contextlib.contextmanager
def browser_page(sync_playwright: Any, url: str, name: str) -> Iterator[Any]:
    """A Chromium page on ``url``; a full-page screenshot goes to test-artifacts/NAME.png either way."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"{name}.png"
    screenshot.unlink(missing_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            try:
                yield page
            finally:
                with contextlib.suppress(Exception):  # best effort: a failure itself matters more
                    page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 0


def go_to(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    choice = page.locator('[data-testid="stSidebar"] label').filter(has_text=name).first
    expect(choice).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    choice.click()


def test_chat_cites_and_opens_the_highlighted_source(sync_playwright: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    with browser_page(sync_playwright, app_url, "browser-chat") as page:
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

        chip = answer.locator('[data-testid="stPopover"] button').filter(has_text="[1]").first
        expect(chip).to_be_visible(timeout=UI_TIMEOUT_MS)
        chip.click()
        source = page.locator('[data-testid="stPopoverBody"]')
        expect(source).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(source).to_contain_text(WION_TITLE)
        expect(source).to_contain_text("WION · 2020-11-24")
        marked = source.locator("strong").filter(has_text="Motegi would also raise concerns")
        expect(marked).to_be_visible(timeout=UI_TIMEOUT_MS)
        background = marked.evaluate(
            "el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;"
            " if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; } return ''; }"
        )
        assert background and background != "rgb(255, 255, 255)", background  # highlighted, not plain
        expect(source).to_contain_text("Wang Yi")  # the sentence is shown in its context
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_brief_of_a_day_in_the_browser(sync_playwright: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    with browser_page(sync_playwright, app_url, "browser-brief") as page:
        go_to(page, "Briefing note")
        expect(page.get_by_role("heading", name="Briefing note")).to_be_visible(timeout=UI_TIMEOUT_MS)
        page.locator('[data-testid="stRadio"] label').filter(has_text="Date").first.click()
        page.get_by_role("button", name="Write the note").click()
        download = page.get_by_role("button", name="Download Markdown")
        expect(download).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        main = page.locator('[data-testid="stMain"]')
        expect(main).to_contain_text("[1]")
        chips = main.locator('[data-testid="stPopover"] button')
        assert chips.count() >= 2
        with page.expect_download(timeout=UI_TIMEOUT_MS) as info:
            download.click()
        text = Path(info.value.path()).read_text(encoding="utf-8")
        assert "Sources:" in text and "2004-11-18" in text and "[1]" in text
        chips.first.click()
        expect(page.locator('[data-testid="stPopoverBody"]')).to_contain_text("2004-11-18", timeout=UI_TIMEOUT_MS)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_upload_in_the_browser(sync_playwright: Any, empty_app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    good = tmp_path / "bridge.txt"
    good.write_text(
        "Harbour bridge opens\nGazette\n2021-05-04\n\nThe harbour bridge opened on Tuesday, the council said.\n"
    )
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with browser_page(sync_playwright, empty_app_url, "browser-upload") as page:
        go_to(page, "Corpus")
        expect(page.get_by_role("heading", name="Corpus")).to_be_visible(timeout=UI_TIMEOUT_MS)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files([str(good), str(empty)])
        ingest = page.get_by_role("button", name="Ingest the files")
        expect(ingest).to_be_visible(timeout=UI_TIMEOUT_MS)
        ingest.click()
        expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
            "added 1", timeout=ANSWER_TIMEOUT_MS
        )
        expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text("empty.txt")
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
