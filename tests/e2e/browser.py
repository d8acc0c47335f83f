"""Playwright helpers for the browser tests: Debian's Chromium driven through the sync API, a
fresh context per test, a login helper, the XSS payload list, and a `Watch` that records every
sign of injected markup or script (dialogs, console messages, page errors, CSP violations,
requests that leave the page's own resources, extra frames).

Playwright's sync API keeps an asyncio loop running in the test thread while a browser is open,
so `asyncio.run` (used by `RedisAuthStore` helpers and `Live.token`) must run in another thread:
use `off_loop`. For the same reason the browser is module-scoped, not session-scoped: it is
closed before the next test module runs, so later tests that call `asyncio.run` are unaffected.

Import the fixtures by their function names (`browser_fixture`, `context_fixture`,
`page_fixture`); tests ask for them as `browser`, `context` and `page`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect_async
from tests.e2e.harness import Live

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

CHROMIUM = Path(os.environ.get("MODERATOR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
PAYLOADS_FILE = Path(__file__).parents[1] / "fixtures" / "xss_payloads.txt"
T = TypeVar("T")

# Runs before any page script (Playwright injects it through CDP, so the page's CSP does not
# apply): records CSP violations, which is how a blocked injected handler or resource shows up.
_INIT_SCRIPT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`);
}, true);
"""

# Every element and attribute the UI templates (and app.js) produce. Anything else in a page is
# injected; the one script allowed is /static/app.js.
_STRUCTURE_JS = """
() => {
  const tags = new Set(['html', 'head', 'meta', 'title', 'link', 'body', 'header', 'a', 'span',
    'form', 'input', 'button', 'div', 'strong', 'code', 'main', 'nav', 'p', 'ol', 'ul', 'li',
    'table', 'tbody', 'tr', 'th', 'td', 'meter', 'select', 'option', 'mark', 'h1', 'label',
    'script', 'kbd', 'h2', 'textarea', 'thead', 'blockquote', 'section', 'br']);
  const links = ['/static/app.css', '/static/favicon.svg'];
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    if (!tags.has(tag)) out.push(`element <${tag}>`);
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith('on') || attr === 'style' || attr === 'srcdoc' || attr.includes(':'))
        out.push(`attribute ${attr} on <${tag}>`);
    }
    if (tag === 'a') {
      const href = el.getAttribute('href') || '';
      if (!/^(https?:\\/\\/|\\/)/i.test(href)) out.push(`link to ${href}`);
    }
    if (tag === 'meta' && !el.hasAttribute('charset') && el.getAttribute('name') !== 'viewport')
      out.push('extra <meta>');
    if (tag === 'link' && !links.includes(el.getAttribute('href'))) out.push('extra <link>');
    if (tag === 'script' && (el.getAttribute('src') !== '/static/app.js' || el.textContent))
      out.push('extra <script>');
  }
  return out;
}
"""


def load_payloads(path: Path = PAYLOADS_FILE) -> list[str]:
    """One payload per line; lines that are empty, "#" or start with "# " are comments. Split on
    "\\n" only: some payloads hold U+2028, which str.splitlines() would cut."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line and line != "#" and not line.startswith("# ")]


XSS_PAYLOADS = load_payloads()
#: What a UI page may load: its static files, and the JSON calls app.js makes. An entry ending in
#: "/" allows every path under it.
APP_PATHS = frozenset(
    {
        "/static/app.css",
        "/static/favicon.svg",
        "/static/app.js",
        "/v1/counts",
        "/v1/claims",
        "/v1/claims/",
        "/v1/comments/",
        "/v1/bulk",
        "/v1/undo",
    }
)


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Call fn in a fresh thread (see the module docstring) and return its result."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def add_user(live: Live, name: str, password: str, role: str = "reviewer") -> None:
    async def add() -> None:
        client = connect_async(live.settings.redis_url)
        try:
            await RedisAuthStore(client).add_user(name, password, role)
        finally:
            await client.aclose()

    off_loop(asyncio.run, add())


def api_auth(live: Live, name: str = "api-client") -> dict[str, str]:
    """Headers with a fresh reviewer bearer token."""
    return {"Authorization": f"Bearer {off_loop(live.token, 'reviewer', name)}"}


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (or `make browser-deps`)"
        if os.environ.get("MODERATOR_REQUIRE_BROWSER"):  # CI: a missing browser is a failure
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(name="context")
def context_fixture(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(_INIT_SCRIPT)
    yield ctx
    ctx.close()


@pytest.fixture(name="page")
def page_fixture(context: Any) -> Any:
    return context.new_page()


def login(page: Any, live: Live, user: str, password: str) -> Any:
    """Fill in and submit the login form; returns the response the browser ended on (the queue
    page after a good login, the login page with an error otherwise)."""
    page.goto(f"{live.url}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Log in").click()
    return navigation.value


def session_cookie(context: Any) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] == "moderator_session"), None)


@dataclass
class Watch:
    """Everything a page did that a harmless UI page never does. Attach before navigating."""

    base_url: str
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Watch:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", self._on_console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        return self

    def _on_console(self, message: Any) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def problems(self, page: Any, allowed_paths: set[str]) -> list[str]:
        """What went wrong so far, as readable lines; [] for a clean page."""
        found = [f"dialog {d}" for d in self.dialogs]
        found += [f"console {c}" for c in self.console]
        found += [f"page error {e}" for e in self.errors]
        origin = urlsplit(self.base_url)[:2]
        prefixes = tuple(p for p in allowed_paths if p.endswith("/"))
        for url in self.requests:
            parts = urlsplit(url)
            allowed = parts.path in allowed_paths or parts.path.startswith(prefixes)
            if parts[:2] != origin or not allowed:
                found.append(f"request {url}")
        if page.evaluate("typeof window.__xss") != "undefined":
            found.append("window.__xss was set")
        found += [f"CSP violation {v}" for v in page.evaluate("window.__csp || []")]
        if len(page.frames) != 1:
            found.append(f"{len(page.frames) - 1} extra frame(s)")
        found += page.evaluate(_STRUCTURE_JS)
        return found

    def clear(self) -> None:
        for log in (self.dialogs, self.console, self.errors, self.requests):
            log.clear()
