"""The real app in a real browser: `streamlit run app.py` driven by headless Debian Chromium.

Never downloads a browser: skipped when /usr/bin/chromium or playwright is missing
(``make chromium`` installs Debian's package).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_server import CHROMIUM, CHROMIUM_ARGS, running_app

from rag.settings import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
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


@pytest.fixture(scope="module")
def app_url(
    sync_playwright: Any, bundled_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app over the bundled store, shared by the chat and brief tests; always stopped."""
    with running_app(bundled_settings.home, tmp_path_factory.mktemp("browser") / "streamlit.log") as (_, url):
        yield url


TOKEN = "browser-token"


@pytest.fixture
def empty_app_url(sync_playwright: Any, tmp_path: Path) -> Iterator[str]:
    """The app over an empty store of its own, for uploads (the operator allows writing)."""
    with running_app(tmp_path / "store", tmp_path / "streamlit.log", NEWSBRIEF_ADMIN_TOKEN=TOKEN) as (_, url):
        yield url


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


ASSISTANT = '[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarAssistant"])'
# True when the point at the element's centre belongs to it: nothing (a popover, the input) covers it.
UNCOVERED = "el => { const r = el.getBoundingClientRect();"
UNCOVERED += " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
UNCOVERED += " return !!hit && (el.contains(hit) || hit.contains(el)); }"


def ask_in_browser(page: Any, question: str) -> None:
    from playwright.sync_api import expect

    box = page.locator('[data-testid="stChatInput"] textarea')
    expect(box).to_be_editable(timeout=UI_TIMEOUT_MS)
    box.fill(question)
    box.press("Enter")


def test_chat_cites_and_opens_the_highlighted_source(sync_playwright: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    with browser_page(sync_playwright, app_url, "browser-chat") as page:
        expect(page.get_by_role("heading", name="Ask the news")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        ask_in_browser(page, "What did Motegi plan to raise?")

        answer = page.locator(ASSISTANT).filter(has_text="East China Sea")
        expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        expect(answer).to_contain_text("[1]")

        source = answer.locator('[data-testid="stExpander"]').filter(has_text=WION_TITLE).first
        expect(source).to_contain_text("WION, 2020-11-24", timeout=UI_TIMEOUT_MS)
        source.locator("summary").click()
        marked = source.locator("strong").filter(has_text="Motegi would also raise concerns")
        expect(marked).to_be_visible(timeout=UI_TIMEOUT_MS)
        background = marked.evaluate(
            "el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;"
            " if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; } return ''; }"
        )
        assert background and background != "rgb(255, 255, 255)", background  # highlighted, not plain
        expect(source).to_contain_text("Wang Yi")  # the sentence is shown in its context
        # The open source sits in the page's flow: it covers nothing, and nothing covers the input.
        marked.scroll_into_view_if_needed()
        assert marked.evaluate(UNCOVERED), "the highlighted sentence is covered"
        chat_input = page.locator('[data-testid="stChatInput"] textarea')
        assert chat_input.evaluate(UNCOVERED), "the chat input is covered"
        expect(page.locator('[data-testid="stPopoverBody"]')).to_have_count(0)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_no_turn_is_lost_when_a_question_comes_while_an_answer_is_coming(sync_playwright: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    with browser_page(sync_playwright, app_url, "browser-two-questions") as page:
        expect(page.get_by_role("heading", name="Ask the news")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        ask_in_browser(page, "Why did Japan reduce aid to China?")
        users = page.locator('[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarUser"])')
        expect(users).to_have_count(1, timeout=UI_TIMEOUT_MS)
        ask_in_browser(page, "Who became chief executive of General Motors in 2013?")  # the first is still coming
        expect(users).to_have_count(2, timeout=UI_TIMEOUT_MS)
        answers = page.locator(ASSISTANT)
        expect(answers).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
        expect(answers.nth(1).locator('[data-testid="stExpander"], [data-testid="stAlert"]').first).to_be_visible(
            timeout=ANSWER_TIMEOUT_MS
        )
        expect(users.nth(0)).to_contain_text("Japan reduce aid")
        expect(users.nth(1)).to_contain_text("General Motors")
        expect(answers.nth(0)).to_contain_text("Japan")
        expect(answers.nth(1)).to_contain_text("Barra")
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_the_app_is_read_only_by_default(sync_playwright: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    with browser_page(sync_playwright, app_url, "browser-read-only") as page:
        go_to(page, "Corpus")
        expect(page.get_by_text("This app is read-only")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)


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
        expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)  # not before the token
        page.get_by_label("Admin token").fill(TOKEN)
        page.get_by_role("button", name="Allow writing").click()
        files = page.locator('[data-testid="stFileUploader"] input[type="file"]')
        expect(files).to_have_count(1, timeout=UI_TIMEOUT_MS)
        ingest = page.get_by_role("button", name="Ingest the files")
        expect(ingest).to_be_disabled()
        files.set_input_files([str(good), str(empty)])
        expect(ingest).to_be_enabled(timeout=UI_TIMEOUT_MS)
        ingest.click()
        expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
            "added 1", timeout=ANSWER_TIMEOUT_MS
        )
        expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text("empty.txt")
        # The uploader is empty again and the button off until new files are chosen.
        expect(page.locator('[data-testid="stFileUploaderFile"]')).to_have_count(0)
        expect(page.get_by_role("button", name="Ingest the files")).to_be_disabled()
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_daily_page_shows_a_typed_day_on_enter(sync_playwright: Any, app_url: str) -> None:
    """Issue 12/13: on Daily, typing a date and pressing Enter did nothing."""
    from playwright.sync_api import expect

    with browser_page(sync_playwright, app_url, "browser-daily") as page:
        go_to(page, "Daily")
        expect(page.get_by_text("stories on 2004-11-18")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        # Type only once the page's run has finished: under load, a value typed mid-run can be
        # overwritten by that run's widget state before Enter sends it.
        expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
        day = page.get_by_label("Day (YYYY-MM-DD), then Enter")
        for _ in range(3):  # a rerun that started just after the check can still reset the field once
            day.fill("2004-12-27")
            page.wait_for_timeout(300)
            if day.input_value() == "2004-12-27":
                break
        expect(day).to_have_value("2004-12-27")
        day.press("Enter")
        expect(page.get_by_text("stories on 2004-12-27")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        links = page.locator('[data-testid="stMain"] a[href^="https://en.wikinews.org/wiki/"]')
        expect(links.first).to_be_visible(timeout=UI_TIMEOUT_MS)  # each note's sources link to the articles
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
