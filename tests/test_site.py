"""The built website, in a real browser, with no network and no kernel.

Runs over the already built ``_build/html`` (``make test`` builds the book first), served from
a sub-path (``http://127.0.0.1:PORT/mathdl/book/``) to prove the site works from any path.
Debian's chromium, driven by Playwright, opens every page and checks that

* it loads with no console error, no failed request and no request to another host;
* its math is typeset by the local MathJax (no raw TeX left, no MathJax error);
* every slider and toggle button of every interactive figure moves, and the figure shown
  changes, with nothing behind the page but static files.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
PREFIX = "mathdl/book"  # the site is served from http://127.0.0.1:PORT/mathdl/book/

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'


def _pages() -> list[str]:
    """Every page of the book: all HTML files except Sphinx's assets and the root redirect."""
    if not (SITE / "index.html").is_file():
        return []
    pages = (path.relative_to(SITE) for path in SITE.rglob("*.html"))
    return sorted(page.as_posix() for page in pages
                  if not page.parts[0].startswith("_") and page != Path("index.html"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def base_url():
    """Serve the built site from a sub-path on a free port of 127.0.0.1."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE.relative_to(ROOT)} is missing: build the book first "
                    "(`make book`; `make test` builds it before running the tests)")
    with tempfile.TemporaryDirectory() as root:
        mount = Path(root, *PREFIX.split("/"))
        mount.parent.mkdir(parents=True)
        mount.symlink_to(SITE, target_is_directory=True)
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=root))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/{PREFIX}/"
        finally:
            server.shutdown()
            server.server_close()


class _Browser:
    def __init__(self, context, foreign):
        self.context = context  # one browser context for all pages: shared assets are cached
        self.foreign = foreign  # url -> True when it points to another host


@pytest.fixture(scope="module")
def browser(base_url):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed (Debian: `apt-get install chromium`; "
                    ".ci/run installs it)")
    local = urlsplit(base_url)

    def foreign(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return False
        return (parts.scheme, parts.netloc) != (local.scheme, local.netloc)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        # Whatever would leave the machine is recorded by the page listeners and cut here.
        context.route(foreign, lambda route: route.abort())
        try:
            yield _Browser(context, foreign)
        finally:
            context.close()
            browser.close()


class _Problems(list):
    """What went wrong while a page was open, one line each."""

    def watch(self, page, foreign):
        page.on("console", lambda m: m.type == "error" and self.append(
            f"console error: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: self.append(f"uncaught exception: {e}"))
        page.on("request", lambda r: foreign(r.url) and self.append(
            f"request to another host: {r.url}"))
        page.on("requestfailed", lambda r: self.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.append(
            f"HTTP {r.status}: {r.url}"))


def _settle(page) -> None:
    """Wait until the widgets are rendered and MathJax has typeset everything."""
    if page.locator(WIDGET_VIEW).count():
        page.wait_for_function(
            """(selector) => [...document.querySelectorAll(selector)].every(s => {
                   const area = s.previousElementSibling;
                   return area && area.classList.contains('widget-subarea')
                       && area.childElementCount > 0
                       && [...area.querySelectorAll('img')].every(i => i.complete);
               })""",
            arg=WIDGET_VIEW,
        )
    page.evaluate(
        "async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")


MATH_STATE = """() => {
    const outside = el => !el.closest('pre, code, script, style, .highlight');
    const math = [...document.querySelectorAll('.math')].filter(outside);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const raw = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || !outside(el) || el.closest('mjx-container')) continue;
        for (const mark of ['$$', '\\\\(', '\\\\[', '\\\\begin{']) {
            if (n.textContent.includes(mark)) raw.push(n.textContent.trim().slice(0, 80));
        }
    }
    return {
        untypeset: math.filter(el => !el.querySelector('mjx-container'))
                       .map(el => el.textContent.trim().slice(0, 80)),
        raw: raw,
        errors: [...document.querySelectorAll('mjx-merror')].map(el => el.textContent.slice(0, 80)),
    };
}"""

# The figure shown by the interactive figure that contains `control`: the one visible <img>
# of its box, with a hash of the image bytes (two frames may differ only in content).
FIGURE_SHOWN = """async (control) => {
    const box = control.closest('.widget-vbox') || control.parentElement;
    const shown = [...box.querySelectorAll('img')].filter(i => i.checkVisibility());
    if (shown.length !== 1) return {count: shown.length};
    const bytes = new Uint8Array(await (await fetch(shown[0].src)).arrayBuffer());
    let h = 2166136261;
    for (const b of bytes) { h ^= b; h = Math.imul(h, 16777619) >>> 0; }
    return {count: 1, src: shown[0].src, hash: h, loaded: shown[0].naturalWidth > 0};
}"""


def _move(page, control) -> str:
    """Move one slider or toggle-button control to another value; describe what was done."""
    classes = control.get_attribute("class") or ""
    if "widget-toggle-buttons" in classes:
        buttons = control.locator("button")
        others = [i for i in range(buttons.count())
                  if "mod-active" not in (buttons.nth(i).get_attribute("class") or "")]
        if not others:
            return "found no other toggle button to click"
        label = buttons.nth(others[0]).inner_text()
        buttons.nth(others[0]).click()
        return f"clicked toggle button {label!r}"
    handle = control.locator(".noUi-handle").first
    now = float(handle.get_attribute("aria-valuenow"))
    top = float(handle.get_attribute("aria-valuemax"))
    key = "ArrowRight" if now < top else "ArrowLeft"
    handle.focus()
    page.keyboard.press(key)
    return f"pressed {key} on the slider handle"


def _check_math(page) -> list[str]:
    math = page.evaluate(MATH_STATE)
    found = [f"math not typeset: {text!r}" for text in math["untypeset"]]
    found += [f"raw TeX left in the text: {text!r}" for text in math["raw"]]
    found += [f"MathJax error: {text!r}" for text in math["errors"]]
    return found


def _check_controls(page) -> list[str]:
    """Every slider and toggle button of every interactive figure changes the figure shown."""
    controls = page.locator(".widget-slider, .widget-toggle-buttons")
    if page.locator(WIDGET_VIEW).count() and not controls.count():
        return ["the page embeds widgets but shows no slider or toggle button"]
    found = []
    for i in range(controls.count()):
        control = controls.nth(i)
        caption = (control.inner_text().strip().splitlines() or [""])[0]
        name = f"control {i + 1} ({caption!r})"
        control.scroll_into_view_if_needed()
        before = control.evaluate(FIGURE_SHOWN)
        if before["count"] != 1:
            found.append(f"{name}: expected one visible figure in its box, found {before['count']}")
            continue
        action = _move(page, control)
        try:
            page.wait_for_function(
                """([control, src]) => {
                    const box = control.closest('.widget-vbox') || control.parentElement;
                    const shown = [...box.querySelectorAll('img')].filter(i => i.checkVisibility());
                    return shown.length === 1 && shown[0].src !== src && shown[0].complete;
                }""",
                arg=[control.element_handle(), before["src"]],
                timeout=5_000,
            )
        except PlaywrightTimeout:
            found.append(f"{name}: {action}, but the figure shown did not change within 5 s")
            continue
        after = control.evaluate(FIGURE_SHOWN)
        if not after["loaded"]:
            found.append(f"{name}: {action}; the new frame did not load")
        elif after["hash"] == before["hash"]:
            found.append(f"{name}: {action}; the new frame shows the same picture "
                         "(does draw() use this parameter?)")
    return found


@pytest.mark.parametrize("page_path", _pages() or ["(no built site)"])
def test_page(browser, base_url, page_path):
    """Loads cleanly and locally, math typeset, every slider moves the figure."""
    problems = _Problems()
    page = browser.context.new_page()
    problems.watch(page, browser.foreign)
    try:
        page.goto(base_url + page_path, wait_until="load")
        try:
            _settle(page)
        except PlaywrightError as exc:
            problems.append(f"page did not settle: {str(exc).splitlines()[0]}")
        else:
            problems.extend(_check_math(page))
            problems.extend(_check_controls(page))
        page.wait_for_timeout(200)  # let late requests (fonts) report
    finally:
        page.close()
    if problems:
        pytest.fail(f"{page_path}:\n  " + "\n  ".join(problems), pytrace=False)


def test_root_redirects_to_the_first_page(browser, base_url):
    """The site's folder URL works from a sub-path: index.html forwards to the intro."""
    problems = _Problems()
    page = browser.context.new_page()
    problems.watch(page, browser.foreign)
    try:
        page.goto(base_url)
        page.wait_for_url("**/intro.html")
        assert page.url.startswith(base_url)
        page.wait_for_load_state("load")
    finally:
        page.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_the_site_has_chapters():
    """The page list above comes from the built folder: make sure it found the chapters."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE.relative_to(ROOT)} is missing: build the book first (`make book`)")
    assert any(p.startswith("chapters/") for p in _pages()), _pages()
