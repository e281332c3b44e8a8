"""A watched browser tab: what the browser tests use to open pages and check them."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CJK = re.compile(r"[\u4e00-\u9fff]")
IDLE_TIMEOUT_S = 10.0


@dataclass
class PageWatch:
    """Collects what went wrong on a page and how many requests are still in flight."""

    origin: str
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, re.Pattern]] = field(default_factory=list)
    downloads: list[re.Pattern] = field(default_factory=list)
    in_flight: int = 0

    def expect_status(self, status: int, url_pattern: str) -> None:
        """Until the next check, accept responses with this status at matching URLs
        (and the console line Chromium prints for each of them)."""
        self.expected.append((status, re.compile(url_pattern)))

    def _expected(self, status: int, url: str) -> bool:
        return any(status == want and pattern.search(url) for want, pattern in self.expected)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        failed = re.match(r"Failed to load resource: the server responded with a status of (\d+)", message.text)
        if failed and self._expected(int(failed.group(1)), url):
            return
        self.problems.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error) -> None:
        self.problems.append(f"uncaught exception: {error}")

    def on_response(self, response) -> None:
        if response.status >= 400 and not self._expected(response.status, response.url):
            self.problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def on_request(self, request) -> None:
        self.in_flight += 1
        # A self-hosted CRM must work without other sites (fonts, CDNs, trackers).
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            self.problems.append(f"off-site request: {request.method} {request.url}")

    def on_request_done(self, _request) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def on_request_failed(self, request) -> None:
        self.on_request_done(request)
        # An XHR cut short because the page moved on (Enter in the search box both
        # submits the form and fires HTMX's search) is not an error the user sees.
        if request.resource_type in {"xhr", "fetch"} and "ERR_ABORTED" in (request.failure or ""):
            return
        # A link that answers with a file: the browser saves it and stops the navigation.
        if "ERR_ABORTED" in (request.failure or "") and any(p.search(request.url) for p in self.downloads):
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def take_problems(self) -> list[str]:
        problems, self.problems = self.problems, []
        self.expected = []
        self.downloads = []
        return problems


class Browse:
    """A watched browser tab against the live server."""

    def __init__(self, page, watch: PageWatch, base_url: str):
        self.page = page
        self.watch = watch
        self.base_url = base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def settle(self) -> None:
        """Wait until the page has loaded and no request (HTMX included) is outstanding."""
        # A round trip to the page also delivers the request events it has already sent us.
        self.page.wait_for_function(
            "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"
        )
        deadline = time.monotonic() + IDLE_TIMEOUT_S
        while self.watch.in_flight and time.monotonic() < deadline:
            self.page.wait_for_timeout(10)
        assert not self.watch.in_flight, f"requests still running on {self.page.url}"

    def assert_clean(self, where: str = "") -> None:
        problems = self.watch.take_problems()
        assert not problems, f"{where or self.page.url}:\n  " + "\n  ".join(problems)

    def download(self, locator):
        """Click a link or button that downloads a file; returns Playwright's Download."""
        self.watch.downloads.append(re.compile(r"/(export|download)/"))
        with self.page.expect_download() as info:
            locator.click()
        return info.value

    def open(self, path: str, status: int = 200):
        response = self.page.goto(self.url(path))
        self.settle()
        assert response is not None and response.status == status, (
            f"{path}: HTTP {response.status if response else None}"
        )
        self.assert_clean(path)
        return response

    def login(self, username: str, password: str) -> None:
        """Sign in through the real form; it lands on the dashboard."""
        page = self.page
        page.goto(self.url("/accounts/login/"))
        self.settle()
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("form:not(.lang-switch) button[type=submit]")
        self.settle()
        assert urlsplit(page.url).path == "/", f"login as {username} ended on {page.url}"
        self.assert_clean(f"login as {username}")

    def switch_language(self, language: str) -> None:
        """Click the top-bar switcher; the server redirects back to the same page."""
        page = self.page
        before = urlsplit(page.url).path
        with page.expect_navigation():
            page.click(f".lang-switch button[value='{language}']")
        self.settle()
        assert urlsplit(page.url).path == before
        expected = "zh-Hans" if language == "zh-hans" else "en"
        assert page.get_attribute("html", "lang") == expected
        self.assert_clean(f"switch language to {language}")

    def assert_fits_width(self) -> None:
        """Nothing may push the page wider than the viewport (tables scroll inside their frame)."""
        overflow = self.page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                if (document.documentElement.scrollWidth <= width + 1) return null;
                const wide = [...document.querySelectorAll('body *')].filter(el => {
                    const r = el.getBoundingClientRect();
                    return r.width && r.right > width + 1 && !el.closest('.table-wrap, .sidebar, .menu-body');
                }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                    + ' right=' + Math.round(el.getBoundingClientRect().right));
                return {scrollWidth: document.documentElement.scrollWidth, width, wide};
            }"""
        )
        assert overflow is None, f"{self.page.url} is wider than the screen: {overflow}"

    def resize(self, viewport: dict) -> None:
        """Resize the loaded page and let its resize handlers (charts) run."""
        self.page.set_viewport_size(viewport)
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")

    def screenshot(self, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def watched_page(context, base_url: str) -> Browse:
    page = context.new_page()
    watch = PageWatch(origin=base_url)
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    page.on("response", watch.on_response)
    page.on("request", watch.on_request)
    page.on("requestfinished", watch.on_request_done)
    page.on("requestfailed", watch.on_request_failed)
    return Browse(page, watch, base_url)
