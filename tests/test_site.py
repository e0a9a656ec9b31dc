"""The built website, in a real browser, with no network and no kernel.

Runs over the already built ``_build/html`` (``make test`` builds the book first; set
``BOOK_SITE`` to test a site built elsewhere), served from a sub-path
(``http://127.0.0.1:PORT/mathdl/book/``) to prove the site works from any path.  Debian's
chromium, driven by Playwright at a device pixel ratio of 2, opens every page and checks that

* it loads with no console error, no failed request and no request to another host;
* its math is typeset by the local MathJax once the reader has opened the folded answers
  and scrolled through the whole page (formulas are typeset as they come into view): no
  formula left untypeset, no raw TeX, no MathJax error;
* every figure is sharp: an SVG, or an image with at least two pixels per CSS pixel shown;
* every slider and toggle button of every interactive figure moves, and the figure shown
  changes, with nothing behind the page but static files;

and that math inserted after the page has loaded (quiz feedback, widget labels) is typeset,
that the sliders still work when MathJax cannot load, and that a reader who downloads a
page's source and then reloads the page still gets every font (the widgets' included) with
no failed request.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import mimetypes
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("BOOK_SITE") or ROOT / "_build" / "html").resolve()
PREFIX = "mathdl/book"  # the site is served from http://127.0.0.1:PORT/mathdl/book/

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'

#: Image pixels per CSS pixel displayed that a raster figure needs to look sharp on a screen
#: with two device pixels per CSS pixel (the browser context below is such a screen).
SHARPNESS = 2
DEVICE_SCALE_FACTOR = 2


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
        pytest.fail(f"{SITE} is missing: build the book first "
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
    def __init__(self, browser, context, foreign):
        self.browser = browser
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
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      device_scale_factor=DEVICE_SCALE_FACTOR)
        context.set_default_timeout(20_000)
        # Whatever would leave the machine is recorded by the page listeners and cut here.
        context.route(foreign, lambda route: route.abort())
        try:
            yield _Browser(browser, context, foreign)
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


# A formula is typeset when MathJax's output has replaced it: an <mjx-container> holding the
# rendered math, not the placeholder (<mjx-lazy>) that lazy typesetting leaves until the
# formula comes into view.  `inView` limits the check to what is on screen now.
MATH_STATE = """(inView) => {
    const outside = el => !el.closest('pre, code, script, style, textarea, .highlight');
    const onScreen = el => {
        if (!inView) return true;
        const r = el.getBoundingClientRect();
        return el.checkVisibility() && r.bottom > 0 && r.top < innerHeight;
    };
    const done = c => c && !c.querySelector('mjx-lazy') && c.querySelector('mjx-math, svg');
    const label = el => el.textContent.trim().slice(0, 80)
        || (el.closest('[id]') ? '#' + el.closest('[id]').id : el.tagName);
    // Hidden math (the header's copy of the page contents, for narrow screens) is typeset
    // when it is shown; here only what the reader can see counts.
    const math = [...document.querySelectorAll('.math')].filter(outside)
        .filter(el => el.checkVisibility()).filter(onScreen);
    const lazy = [...document.querySelectorAll('mjx-container')].filter(c =>
        !done(c) && !c.closest('.math') && c.parentElement.checkVisibility() && onScreen(c));
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const raw = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || !outside(el) || el.closest('mjx-container') || !onScreen(el)) continue;
        for (const mark of ['$$', '\\\\(', '\\\\[', '\\\\begin{']) {
            if (n.textContent.includes(mark)) raw.push(n.textContent.trim().slice(0, 80));
        }
    }
    return {
        untypeset: math.filter(el => !done(el.querySelector('mjx-container'))).map(label)
            .concat(lazy.map(c => 'formula in ' + label(c.parentElement))),
        raw: raw,
        errors: [...document.querySelectorAll('mjx-merror')].map(el => el.textContent.slice(0, 80)),
    };
}"""

# Open what the reader can unfold: folded answers and hints (sphinx-togglebutton admonitions)
# and <details> blocks (hidden code, dropdowns).
REVEAL = """() => {
    let opened = 0;
    for (const item of document.querySelectorAll('.admonition.toggle-hidden')) {
        const title = item.querySelector(':scope > .admonition-title');
        if (title) { title.click(); opened++; }
    }
    for (const d of document.querySelectorAll('details:not([open])')) {
        const summary = d.querySelector(':scope > summary');
        if (summary) summary.click(); else d.open = true;
        opened++;
    }
    return opened;
}"""

# Every figure shown on the page: static images and the frames of interactive figures on
# display.  `type` comes from the file name, or for a frame (a blob: URL) from its bytes.
FIGURES = """async () => {
    const out = [];
    for (const img of document.querySelectorAll('article img, .bd-article img')) {
        if (!img.checkVisibility()) continue;
        let type = (img.src.split(/[?#]/)[0].match(/\\.(\\w+)$/) || [, ''])[1].toLowerCase();
        if (img.src.startsWith('blob:') || img.src.startsWith('data:')) {
            type = ((await (await fetch(img.src)).blob()).type || '').replace('image/', '');
        }
        out.push({src: img.src.startsWith('blob:') ? 'a slider frame' : img.src.split('/').pop(),
                  type: type, natural: img.naturalWidth,
                  shown: img.getBoundingClientRect().width});
    }
    return out;
}"""


# Every @font-face of the page's style sheets: its first source (the one current browsers
# take; the vendored packages keep only those) must exist, wherever the rule came from.  A
# font used only in some circumstances would otherwise fail only then.
FONT_FACES = r"""async () => {
    const missing = [];
    for (const sheet of document.styleSheets) {
        let rules;
        try { rules = sheet.cssRules; } catch (e) { continue; }
        for (const rule of rules) {
            if (!(rule instanceof CSSFontFaceRule)) continue;
            const m = (rule.style.getPropertyValue('src') || '').match(/url\(\s*["']?([^"')]+)/);
            if (!m || m[1].startsWith('data:')) continue;
            const url = new URL(m[1], sheet.href || document.baseURI).href;
            const r = await fetch(url).catch(() => null);
            if (r) await r.arrayBuffer();
            if (!r || !r.ok) missing.push(url + (r ? ' (HTTP ' + r.status + ')' : ''));
        }
    }
    return [...new Set(missing)];
}"""


def _check_font_faces(page) -> list[str]:
    return [f"a font the page declares is missing: {url}" for url in page.evaluate(FONT_FACES)]


def _check_sharpness(page) -> tuple[list[str], int]:
    """Every figure shown is an SVG or has at least SHARPNESS image pixels per CSS pixel;
    and how many figures were checked."""
    found = []
    figures = page.evaluate(FIGURES)
    for fig in figures:
        if fig["type"] in ("svg", "svg+xml"):
            continue  # vector: sharp at any size
        if not fig["natural"] or not fig["shown"]:
            found.append(f"figure {fig['src']} ({fig['type']}) did not load or is not laid out")
        elif fig["natural"] / fig["shown"] < SHARPNESS:
            found.append(f"figure {fig['src']} ({fig['type']}) is blurred at a device pixel ratio "
                         f"of {DEVICE_SCALE_FACTOR}: {fig['natural']} pixels shown "
                         f"{fig['shown']:.0f} CSS pixels wide ({fig['natural'] / fig['shown']:.2f}x, "
                         f"needs {SHARPNESS}x)")
    return found, len(figures)


def _read_through(page) -> list[str]:
    """Unfold what can be unfolded, then scroll down the page a screen at a time, as a
    reader does; on every screen the formulas in view must get typeset.  Formulas in other
    scroll boxes (the sidebar's contents) are scrolled into view one by one at the end."""
    found = []
    page.evaluate(REVEAL)
    page.evaluate("() => window.scrollTo(0, 0)")
    height = page.evaluate("() => innerHeight")
    y = 0
    while True:
        try:
            page.wait_for_function(
                f"() => {{ const s = ({MATH_STATE})(true); return !s.untypeset.length; }}",
                timeout=10_000, polling=250)
        except PlaywrightTimeout:
            left = page.evaluate(MATH_STATE, True)["untypeset"]
            found.append(f"formulas in view at {y}px not typeset within 10 s: {left[:3]}")
        bottom = page.evaluate("() => document.documentElement.scrollHeight")
        if y + height >= bottom:
            break
        y = min(y + height * 3 // 4, bottom - height)
        page.evaluate("(y) => window.scrollTo(0, y)", y)
    for _ in range(1000):  # one at a time: each one typeset leaves the list
        left = page.evaluate_handle(
            """() => [...document.querySelectorAll('mjx-container > mjx-lazy')]
                       .map(m => m.parentElement)
                       .find(c => c.parentElement.checkVisibility()) || null""").as_element()
        if left is None:
            break
        left.scroll_into_view_if_needed()
        try:
            page.wait_for_function("c => !c.querySelector('mjx-lazy')", arg=left,
                                   timeout=5_000, polling=100)
        except PlaywrightTimeout:
            break  # reported by _check_math
    return found


# The figure shown by the interactive figure that contains `control`: the one visible <img>
# of its box, with a hash of the image bytes (two frames may differ only in content).
FIGURE_SHOWN = """async (control) => {
    const box = control.closest('.widget-vbox') || control.parentElement;
    const shown = [...box.querySelectorAll('img')].filter(i => i.checkVisibility());
    if (shown.length !== 1) return {count: shown.length};
    const blob = await (await fetch(shown[0].src)).blob();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let h = 2166136261;
    for (const b of bytes) { h ^= b; h = Math.imul(h, 16777619) >>> 0; }
    return {count: 1, src: shown[0].src, hash: h, loaded: shown[0].naturalWidth > 0,
            type: blob.type.replace('image/', ''), natural: shown[0].naturalWidth,
            shown: shown[0].getBoundingClientRect().width};
}"""


def _frame_sharpness(name: str, frame: dict) -> list[str]:
    if frame["type"] == "svg+xml" or not frame["shown"]:
        return []
    ratio = frame["natural"] / frame["shown"]
    if ratio >= SHARPNESS:
        return []
    return [f"{name}: the frame shown is blurred at a device pixel ratio of {DEVICE_SCALE_FACTOR}: "
            f"{frame['natural']} pixels shown {frame['shown']:.0f} CSS pixels wide "
            f"({ratio:.2f}x, needs {SHARPNESS}x)"]


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
    math = page.evaluate(MATH_STATE, False)
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
            continue
        found += _frame_sharpness(name, after)
        if after["hash"] == before["hash"]:
            found.append(f"{name}: {action}; the new frame shows the same picture "
                         "(does draw() use this parameter?)")
    return found


@pytest.mark.parametrize("page_path", _pages() or ["(no built site)"])
def test_page(browser, base_url, page_path):
    """Loads cleanly and locally, all math typeset once read through, figures sharp, every
    slider moves the figure."""
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
            problems.extend(_read_through(page))
            problems.extend(_check_math(page))
            sharpness, figures = _check_sharpness(page)
            problems.extend(sharpness)
            if page_path.startswith("chapters/") and not figures:
                problems.append("a chapter page with no figure shown (is the figure check "
                                "looking in the right place?)")
            problems.extend(_check_controls(page))
            problems.extend(_check_font_faces(page))
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
        pytest.fail(f"{SITE} is missing: build the book first (`make book`)")
    assert any(p.startswith("chapters/") for p in _pages()), _pages()


def _first_page_with(selector_js: str) -> str | None:
    for page_path in _pages():
        if page_path.startswith("chapters/"):
            text = (SITE / page_path).read_text(encoding="utf-8")
            if selector_js in text:
                return page_path
    return None


# Math put in the page after it has loaded, as a quiz writes its feedback
# (MathJax.typesetPromise([el]) on new text, again for every answer) and as the widgets
# write their labels (through the MathJax 2 call that _static/vendor/widgets-setup.js maps).
LATE_MATH = r"""async (where) => {
    const article = document.querySelector('article') || document.body;
    const el = document.createElement('p');
    el.id = 'late-math-' + where;
    el.textContent = 'inserted: \\(\\sqrt{x^2 + 1}\\)';
    if (where === 'top') article.prepend(el); else article.append(el);
    await MathJax.typesetPromise([el]);
    return el.id;
}"""

TYPESET_IN = """(id) => {
    const el = document.getElementById(id);
    const c = el && el.querySelector('mjx-container');
    if (!c || c.querySelector('mjx-lazy') || !c.querySelector('mjx-math')) return null;
    const items = MathJax.startup.document.getMathItemsWithin(el);
    return items.length === 1 && items[0].typesetRoot === c ? items[0].math : null;
}"""


def test_math_inserted_later_is_typeset(browser, base_url):
    """Feedback text and labels written into the page later are typeset, in view at once
    and further down when the reader gets there; rewriting the text typesets the new math."""
    page_path = _first_page_with("tex-chtml.js")
    if page_path is None:
        pytest.fail("no chapter page loads MathJax")
    problems = _Problems()
    page = browser.context.new_page()
    problems.watch(page, browser.foreign)
    try:
        page.goto(base_url + page_path, wait_until="load")
        _settle(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        top = page.evaluate(LATE_MATH, "top")
        page.wait_for_function(TYPESET_IN, arg=top, timeout=10_000)
        assert page.evaluate(TYPESET_IN, top) == r"\sqrt{x^2 + 1}"

        # The quiz writes new feedback into the same box and typesets it again.
        page.evaluate(r"""async (id) => {
            const el = document.getElementById(id);
            el.textContent = 'right: \\(\\alpha + \\beta\\)';
            await MathJax.typesetPromise([el]);
        }""", top)
        page.wait_for_function(f"(id) => ({TYPESET_IN})(id) === '\\\\alpha + \\\\beta'",
                               arg=top, timeout=10_000)

        # A widget label, through the MathJax 2 API the widget manager calls.
        page.evaluate(r"""() => {
            const el = document.createElement('label');
            el.id = 'late-label';
            el.textContent = 'temperature \\(\\tau\\)';
            (document.querySelector('article') || document.body).prepend(el);
            MathJax.Hub.Queue(['Typeset', MathJax.Hub, el]);
        }""")
        page.wait_for_function(f"() => ({TYPESET_IN})('late-label') === '\\\\tau'", timeout=10_000)

        # Far down the page: typeset once scrolled into view.
        bottom = page.evaluate(LATE_MATH, "bottom")
        page.locator(f"#{bottom}").scroll_into_view_if_needed()
        page.wait_for_function(TYPESET_IN, arg=bottom, timeout=10_000)
    finally:
        page.close()
    if problems:
        pytest.fail(f"{page_path}:\n  " + "\n  ".join(problems), pytrace=False)


def test_sliders_work_without_mathjax(browser, base_url):
    """If MathJax cannot load (blocked, a network error), the page still works: no script
    error, no other request fails, and every slider moves its figure (its labels stay as
    written)."""
    page_path = _first_page_with("application/vnd.jupyter.widget-view+json")
    if page_path is None:
        pytest.fail("no chapter page has an interactive figure")
    errors = []
    context = browser.browser.new_context(viewport={"width": 1280, "height": 900},
                                          device_scale_factor=DEVICE_SCALE_FACTOR)
    context.set_default_timeout(20_000)
    context.route(browser.foreign, lambda route: route.abort())
    context.route("**/vendor/mathjax/**", lambda route: route.abort())
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"uncaught exception: {e}"))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
    page.on("requestfailed", lambda r: "/vendor/mathjax/" not in r.url and errors.append(
        f"request failed: {r.url} ({r.failure})"))
    try:
        page.goto(base_url + page_path, wait_until="load")
        _settle(page)
        errors.extend(_check_controls(page))
        page.wait_for_timeout(200)  # let late requests (fonts) report
        assert page.evaluate("() => !window.MathJax || !window.MathJax.version"), \
            "MathJax was loaded although it was blocked"
    finally:
        context.close()
    if errors:
        pytest.fail(f"{page_path} without MathJax:\n  " + "\n  ".join(errors), pytrace=False)


# A reader downloads the page's source, then reloads the page (the widget fonts once came
# from the page's own folder, /chapters/@jupyter-widgets/<hash>.woff2, in half of such runs).
DOWNLOAD_PAGE = "chapters/02_softmax_temperature.html"  # a chapter with sliders
DOWNLOAD_ROUNDS = 4

#: The icon font @jupyter-widgets/controls bundles in its style sheet (the theme's is 6).
WIDGET_FONT_FAMILY = "Font Awesome 5"

# Every font face the page declares (the theme's icons, the widgets' Font Awesome, MathJax's),
# each loaded now, whether or not the page shows a character of it yet: a control draws an
# icon (a button, a toggle) only when it is used, and a face that cannot load fails then.
LOAD_FONTS = """async () => {
    await document.fonts.ready;
    const faces = [...document.fonts];
    await Promise.all(faces.map(f => f.load().catch(() => null)));
    await document.fonts.ready;
    return faces.map(f => ({family: f.family.replace(/^["']|["']$/g, ''), weight: f.weight,
                            style: f.style, status: f.status}));
}"""


class _Pending(set):
    """The requests of a page that have not finished (or failed) yet."""

    def watch(self, page):
        page.on("request", lambda r: self.add(r))
        page.on("requestfinished", lambda r: self.discard(r))
        page.on("requestfailed", lambda r: self.discard(r))

    def wait(self, page, timeout_ms: int = 10_000) -> list[str]:
        """Wait until every request has finished, so that its failure is reported."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the page's events
        return [f"request still pending after {timeout_ms // 1000} s: {r.url}" for r in self]


def _widgets_and_fonts(page) -> list[str]:
    """Wait for the widgets and every font face; what is missing."""
    _settle(page)
    found = [] if page.locator(".widget-slider").count() else [
        "no slider rendered (the page is expected to have interactive figures)"]
    faces = page.evaluate(LOAD_FONTS)
    found += [f"font face {f['family']!r} {f['weight']} {f['style']} is {f['status']}, not loaded"
              for f in faces if f["status"] != "loaded"]
    if not any(f["family"].startswith(WIDGET_FONT_FAMILY) for f in faces):
        found.append(f"the widgets' style sheet declares no {WIDGET_FONT_FAMILY} font face "
                     "(did it load? the check would prove nothing)")
    return found + _check_font_faces(page)


def _download_sources(page, base_url) -> tuple[list[str], int]:
    """Click every file of the page's download menu, as a reader does; what went wrong and
    how many files were saved.  A file the browser cannot show (.ipynb) is downloaded; text
    (.md, served as text/markdown) opens in the new tab the link asks for."""
    found, saved = [], 0
    menu = page.locator(".dropdown-download-buttons")
    links = menu.locator("a.dropdown-item[href]")
    if not links.count():
        return ["the page offers no file to download"], 0
    for i in range(links.count()):
        link = links.nth(i)
        url = urljoin(page.url, link.get_attribute("href")).split("#")[0]
        if not url.startswith(base_url):
            found.append(f"the download link {url} leaves the site")
            continue
        source = SITE / url[len(base_url):]
        if not menu.locator(".dropdown-menu.show").count():
            menu.locator(".dropdown-toggle").click()
        link.wait_for(state="visible", timeout=5_000)
        if (mimetypes.guess_type(source.name)[0] or "").startswith("text/"):
            with page.context.expect_event("response", lambda r: r.url == url,
                                           timeout=15_000) as response_info, \
                    page.expect_popup(timeout=15_000) as popup_info:
                link.click()
            popup, response = popup_info.value, response_info.value
            try:
                popup.wait_for_load_state("load", timeout=15_000)
            finally:
                popup.close()
            # (Not the body: Playwright hands back the text as the browser decoded it.)
            if not (response.ok and source.is_file() and response.headers.get(
                    "content-length") == str(source.stat().st_size)):
                found.append(f"the link to {source.name} does not show that file "
                             f"(HTTP {response.status})")
            continue
        with page.expect_download(timeout=15_000) as download_info:
            link.click()
        download = download_info.value
        failure = download.failure()  # waits until the download has finished
        if failure:
            found.append(f"downloading {source.name} failed: {failure}")
        elif Path(download.path()).read_bytes() != source.read_bytes():
            found.append(f"the downloaded {download.suggested_filename} is not {source.name}")
        else:
            saved += 1
        download.delete()
    if menu.locator(".dropdown-menu.show").count():
        page.keyboard.press("Escape")
    return found, saved


def test_download_then_reload_loads_every_font(browser, base_url):
    """Download the page's source, reload the page, again and again: the widgets render,
    every font face loads (the widgets' Font Awesome included), and no request fails,
    gets an error or goes to another host, before or after the reload."""
    if not (SITE / DOWNLOAD_PAGE).is_file():
        pytest.fail(f"{DOWNLOAD_PAGE} is not in the built site")
    # A new browser context: the first load of the page is not cached, the reload is.
    context = browser.browser.new_context(viewport={"width": 1280, "height": 900},
                                          device_scale_factor=DEVICE_SCALE_FACTOR,
                                          accept_downloads=True)
    context.set_default_timeout(20_000)
    context.route(browser.foreign, lambda route: route.abort())
    problems, pending = _Problems(), _Pending()
    page = context.new_page()
    problems.watch(page, browser.foreign)
    pending.watch(page)

    @contextlib.contextmanager
    def step(label):
        """What goes wrong from here to the end of the block, and every request it started
        once finished, is reported under `label`."""
        start = len(problems)
        try:
            yield
        except PlaywrightError as exc:
            problems.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        problems.extend(pending.wait(page))
        problems[start:] = [f"{label}: {p}" for p in dict.fromkeys(problems[start:])]

    saved = 0
    try:
        for n in range(1, DOWNLOAD_ROUNDS + 1):
            with step(f"round {n}, load"):
                page.goto(base_url + DOWNLOAD_PAGE, wait_until="load")
                problems.extend(_widgets_and_fonts(page))
            with step(f"round {n}, download"):
                found, files = _download_sources(page, base_url)
                problems.extend(found or ([] if files else ["no file was downloaded"]))
                saved += files
            with step(f"round {n}, after the reload"):
                page.reload(wait_until="load")
                problems.extend(_widgets_and_fonts(page))
    finally:
        context.close()
    if problems:
        pytest.fail(f"{DOWNLOAD_PAGE}, {DOWNLOAD_ROUNDS} rounds of download then reload:\n  "
                    + "\n  ".join(problems), pytrace=False)
    assert saved >= DOWNLOAD_ROUNDS, f"{saved} files downloaded in {DOWNLOAD_ROUNDS} rounds"


# Every chapter ends with a self-check quiz (tests/test_apparatus.py checks the source).
CHAPTER_PAGES = [p for p in _pages() if p.startswith("chapters/")] or ["(no built site)"]

# For one quiz question: a right answer and a wrong one, read from the question's own data.
QUIZ_ANSWERS = """(q) => {
    if (q.dataset.kind === 'numeric') {
        const answer = parseFloat(q.dataset.answer), tol = parseFloat(q.dataset.tolerance);
        const wrong = answer + 10 * tol + Math.max(1, Math.abs(answer));
        return {kind: 'numeric', right: String(answer), wrong: String(wrong),
                hint: q.dataset.hint, explanation: q.dataset.explanation};
    }
    const options = [...q.querySelectorAll('.mdl-options button')];
    return {kind: 'choice', right: options.findIndex(b => b.dataset.correct === 'true'),
            wrong: options.findIndex(b => b.dataset.correct !== 'true'),
            feedback: options.map(b => b.dataset.feedback)};
}"""


def _answer(question, kind, value):
    if kind == "numeric":
        question.locator("input").fill(value)
        question.locator("button").click()
    else:
        question.locator(".mdl-options button").nth(value).click()
    box = question.locator(".mdl-feedback")
    return (box.get_attribute("class") or "").split(), box.inner_text()


@pytest.mark.parametrize("page_path", CHAPTER_PAGES)
def test_quiz_grades_in_the_browser(browser, base_url, page_path):
    """Each chapter's quiz: a right answer is confirmed, a wrong one gets its own hint."""
    problems = _Problems()
    page = browser.context.new_page()
    problems.watch(page, browser.foreign)
    try:
        page.goto(base_url + page_path, wait_until="load")
        _settle(page)
        questions = page.locator(".mdl-quiz .mdl-q")
        assert 5 <= questions.count() <= 8, f"{page_path}: {questions.count()} quiz questions"
        kinds = set()
        for i in range(questions.count()):
            q = questions.nth(i)
            q.scroll_into_view_if_needed()
            data = q.evaluate(QUIZ_ANSWERS)
            kinds.add(data["kind"])
            classes, text = _answer(q, data["kind"], data["wrong"])
            expected = data["hint"] if data["kind"] == "numeric" else data["feedback"][data["wrong"]]
            assert "mdl-wrong" in classes and text.startswith("Not quite"), (i, text)
            assert text.split(None, 2)[-1].strip()[:30] == expected.strip()[:30], (i, text)
            classes, text = _answer(q, data["kind"], data["right"])
            expected = (data["explanation"] if data["kind"] == "numeric"
                        else data["feedback"][data["right"]])
            assert "mdl-right" in classes and text.startswith("Correct"), (i, text)
            if data["kind"] == "numeric":  # not a number: a hint about the format
                classes, text = _answer(q, "numeric", "two")
                assert "mdl-wrong" in classes and "Type a number" in text, (i, text)
        assert kinds == {"numeric", "choice"}, f"{page_path}: both kinds of question"
        page.wait_for_timeout(200)
    finally:
        page.close()
    if problems:
        pytest.fail(f"{page_path}:\n  " + "\n  ".join(problems), pytrace=False)


OUTPUT_WIDTH = """() => [...document.querySelectorAll('.cell_output pre, .output pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b)
                               .slice(0, 100))"""


@pytest.mark.parametrize("page_path", CHAPTER_PAGES)
def test_printed_output_fits_the_page(browser, base_url, page_path):
    """No printed result needs horizontal scrolling at a laptop's width."""
    page = browser.context.new_page()
    try:
        page.goto(base_url + page_path, wait_until="load")
        wide = page.evaluate(OUTPUT_WIDTH)
    finally:
        page.close()
    assert not wide, f"{page_path}: printed lines wider than the page: {wide}"


def test_live_code_reaches_only_binder_and_says_when_it_cannot(browser, base_url):
    """Live Code loads the vendored thebe (no CDN), contacts mybinder.org and nothing else,
    and when Binder cannot be reached (here every other host is cut) says so in words."""
    page = browser.context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(base_url + "chapters/02_softmax_temperature.html", wait_until="load")
        page.locator(".btn-launch-thebe").first.evaluate("b => b.click()")  # the launch menu
        status = page.locator(".thebe-launch-button")
        status.filter(has_text="could not start").wait_for(timeout=60_000)
        assert "mybinder.org could not be reached" in status.inner_text()
    finally:
        page.close()
    foreign = {urlsplit(url).netloc for url in requests if browser.foreign(url)}
    assert foreign == {"mybinder.org"}, f"Live Code contacted {sorted(foreign)}"
    local = [url for url in requests if "/_static/vendor/thebe/index.js" in url]
    assert local, "thebe was not loaded from the site's own vendored copy"
