"""Benchmarks for `make bench`: build times, notebook execution times, page weights, and
reading speed and figure sharpness in a browser.

    python tools/bench.py                        # cold + warm build of a fresh copy, then the report
    python tools/bench.py --keep                 # keep the temporary copy (its path is printed)
    python tools/bench.py --site _build/html     # only the page report, on a site already built
    python tools/bench.py --site DIR --runs 5    # more page loads per chapter (median reported)

The repository is copied to a temporary folder without `_build` (so nothing is cached) and
built there with the same command as `make book`:

* cold build: the first build, which executes every notebook;
* warm build: the same build again with nothing changed (Sphinx and jupyter-cache reuse it all);
* execution time of each notebook, as jupyter-cache recorded it during the cold build;
* weight of each page: its HTML (which embeds the widget state, i.e. every slider frame) plus
  the images only it uses, and the shared assets (theme, MathJax, widget manager) that every
  page loads once and the browser then caches.

and, in headless Chromium at a device pixel ratio of 2, for every chapter page (see
`reading_speed`):

* FCP: time from navigation to the first contentful paint;
* idle: time from navigation until the page is idle (no task over 50 ms, no request, for
  QUIET_MS) with every formula in the first screen typeset;
* idle, no MathJax: the same with MathJax's files blocked, in the same run; the ratio of the
  two cancels the machine's speed and is the figure the target is set on;
* sharpness of every figure: its image pixels per CSS pixel displayed (SVG: vector).

Each line is compared with the book's target and marked PASS or FAIL.  This reports; it never
fails (exit status 0), so slow machines do not break `make test`.  If tools/bench_diffusion.py
exists its report follows.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import html.parser
import http.server
import io
import json
import statistics
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BUILD_ARGS = ["build", ".", "-W", "-n", "--keep-going"]  # as `make book`

COLD_TARGET_S = 5 * 60
WARM_TARGET_S = 30
CHAPTER_TARGET_S = 60
CHAPTER_TARGET_OVERRIDES_S = {"chapters/08_diffusion.md": 90}  # Chapter 8's budget
PAGE_TARGET_BYTES = 3 * 1024 * 1024
IDLE_RATIO_TARGET = 1.5   # time to idle with math typeset in view / the same without MathJax
SHARPNESS_TARGET = 2.0    # image pixels per displayed CSS pixel, at a device pixel ratio of 2

# Not part of the book's sources: never copied into the benchmark build.
IGNORE = shutil.ignore_patterns(
    ".venv", "_build", ".git", "node_modules", ".pytest_cache", ".hypothesis",
    "__pycache__", "*.egg-info", ".ipynb_checkpoints",
)


def _jupyter_book() -> str:
    exe = Path(sys.executable).with_name("jupyter-book")
    return str(exe) if exe.exists() else shutil.which("jupyter-book") or "jupyter-book"


def _build(book: Path, log: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.call([_jupyter_book(), *BUILD_ARGS], cwd=book,
                               stdout=out, stderr=subprocess.STDOUT)
    return time.perf_counter() - start, code


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def execution_times(book: Path) -> dict[str, float]:
    """Seconds each notebook took to execute, from the build's jupyter-cache."""
    from jupyter_cache import get_cache

    cache_dir = book / "_build" / ".jupyter_cache"
    if not cache_dir.exists():
        return {}
    times = {}
    for record in get_cache(str(cache_dir)).list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is None:
            continue
        try:
            name = Path(record.uri).resolve().relative_to(book.resolve()).as_posix()
        except ValueError:
            name = record.uri
        times[name] = max(seconds, times.get(name, 0.0))
    return times


class _Assets(html.parser.HTMLParser):
    """Local files a page loads: <script src>, <link href> (stylesheets, icons), <img src>;
    and the size of its embedded widget state."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.widget_state = 0
        self.state_text: list[str] = []
        self._in_state = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "script" and a.get("type") == "application/vnd.jupyter.widget-state+json":
            self._in_state = True
        elif tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon", "preload"):
            self.urls.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.urls.append(a["src"])

    def handle_endtag(self, tag):
        self._in_state = False

    def handle_data(self, data):
        if self._in_state:
            self.widget_state += len(data.encode())
            self.state_text.append(data)

    def frames(self) -> list[dict]:
        """Slider frames embedded in the widget state: format, bytes (decoded), the CSS width
        their layout gives them, and their width in pixels (None for SVG)."""
        from PIL import Image

        found = []
        for text in self.state_text:
            try:
                state = json.loads(text).get("state", {})
            except ValueError:
                continue
            for model in state.values():
                if model.get("model_name") != "ImageModel":
                    continue
                fmt = model.get("state", {}).get("format", "?")
                data = b"".join(base64.b64decode(b.get("data", "")) for b in model.get("buffers", []))
                layout = state.get(model["state"].get("layout", "").replace("IPY_MODEL_", ""), {})
                width = (layout.get("state", {}).get("width") or "").removesuffix("px")
                try:
                    css = float(width)
                except ValueError:
                    css = None
                pixels = None
                if fmt != "svg+xml":
                    try:
                        with Image.open(io.BytesIO(data)) as image:
                            pixels = image.width
                    except OSError:
                        pass
                found.append({"format": fmt, "bytes": len(data), "css": css, "pixels": pixels})
        return found


def page_weights(site: Path):
    """Per page: (page, html bytes, widget-state bytes, own-image bytes, {kind: (count, bytes)}
    of its static figures and slider frames, its frames as `_Assets.frames` describes them);
    and the shared assets."""
    pages, shared = [], {}
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site)
        if rel.parts[0].startswith("_") or rel == Path("index.html"):
            continue
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        own = 0
        figures: dict[str, tuple[int, int]] = {}
        frames = parser.frames()
        for frame in frames:
            kind = "frame " + frame["format"].replace("svg+xml", "svg")
            count, size = figures.get(kind, (0, 0))
            figures[kind] = (count + 1, size + frame["bytes"])
        for url in parser.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue  # not a local file (and the site test forbids those anyway)
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file():
                continue
            if target.relative_to(site.resolve()).parts[0] == "_images":
                own += target.stat().st_size  # the page's own figures
                kind = "static " + target.suffix.lstrip(".").lower()
                count, size = figures.get(kind, (0, 0))
                figures[kind] = (count + 1, size + target.stat().st_size)
            else:
                shared[target] = target.stat().st_size  # _static/, searchindex.js
        pages.append((rel.as_posix(), page.stat().st_size, parser.widget_state, own, figures, frames))
    # Fonts the shared CSS/JS fetch (MathJax, widget icons) are loaded on demand: count the
    # vendored ones too, so the shared total is an upper bound.
    for font in (site / "_static").rglob("*"):
        if font.suffix in (".woff", ".woff2") and font.is_file():
            shared[font.resolve()] = font.stat().st_size
    return pages, sum(shared.values())


# --- Reading speed and sharpness, in a browser -----------------------------------------

QUIET_MS = 1000        # the page counts as idle after this long with no long task, no request
LOAD_TIMEOUT_S = 90    # give up on a page that is not idle by then
POLL_MS = 100          # how often the page checks whether the math in view is typeset
VIEWPORT = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
MATHJAX_FILES = "**/_static/vendor/mathjax/**"   # what "MathJax blocked" blocks

# Installed before any script of the page runs: records long tasks (over 50 ms, the main
# thread busy and the page unresponsive) and, every POLL_MS, whether every formula in the
# viewport is typeset (MathJax's output, not a lazy placeholder, no raw TeX left).  The check
# costs a few milliseconds, in both kinds of load.
_INIT_JS = r"""
(() => {
  const b = window.__bench = {longtasks: [], mathReady: false, mathReadyAt: null};
  performance.setResourceTimingBufferSize(10000);
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.startTime + e.duration]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) { b.noLongtasks = String(e); }
  const inView = el => {
    if (!el.checkVisibility()) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
  };
  // Raw TeX outside the .math elements can only be where MathJax is asked to look: the
  // containers of processHtmlClass (quizzes, HTML outputs) and the widgets' labels.
  const where = ".mathjax_process, .tex2jax_process, .output_area, .widget-label";
  const skip = "pre, code, script, style, textarea, .highlight, mjx-container, .math";
  b.pendingMath = () => {
    let pending = 0;
    for (const el of document.querySelectorAll(".math")) {
      if (el.closest("pre, code, .highlight") || !inView(el)) continue;
      const out = el.querySelector("mjx-container");
      if (!out || out.querySelector("mjx-lazy")) pending++;
    }
    for (const el of document.querySelectorAll("mjx-lazy")) {
      if (!el.closest(".math") && inView(el.parentElement)) pending++;
    }
    for (const box of document.querySelectorAll(where)) {
      if (!inView(box)) continue;
      const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const t = n.textContent;
        if (!(t.includes("\\(") || t.includes("\\[") || t.includes("$$"))) continue;
        const el = n.parentElement;
        if (el && !el.closest(skip) && inView(el)) pending++;
      }
    }
    return pending;
  };
  setInterval(() => {
    const ready = document.readyState !== "loading" && b.pendingMath() === 0;
    if (ready && !b.mathReady) b.mathReadyAt = performance.now();
    b.mathReady = ready;
  }, POLL_MS);
})();
"""

_STATE_JS = """() => {
    const b = window.__bench, nav = performance.getEntriesByType("navigation")[0];
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    const ends = performance.getEntriesByType("resource").map(r => r.responseEnd);
    return {
        now: performance.now(),
        fcp: fcp ? fcp.startTime : null,
        load: nav && nav.loadEventEnd ? nav.loadEventEnd : null,
        lastTask: Math.max(0, ...b.longtasks.map(t => t[1])),
        busy: b.longtasks.reduce((s, t) => s + t[1] - t[0], 0),
        lastResource: Math.max(0, ...ends),
        mathReady: b.mathReady, mathReadyAt: b.mathReadyAt, noLongtasks: b.noLongtasks || null,
        widgets: document.querySelectorAll(".widget-subarea img").length,
    };
}"""

# Every figure of the page: static images and slider frames, shown or not.  Displayed width:
# the laid-out width of a visible image; for a hidden frame, the CSS width it will take.
FIGURES_JS = """async () => {
    const out = [];
    for (const img of document.querySelectorAll("article img, .bd-article img")) {
        const frame = !!img.closest(".widget-subarea, .jupyter-widgets");
        let type = (img.src.split(/[?#]/)[0].match(/\\.(\\w+)$/) || [, ""])[1].toLowerCase();
        if (img.src.startsWith("blob:") || img.src.startsWith("data:")) {
            type = ((await (await fetch(img.src)).blob()).type || "").replace("image/", "");
        }
        let shown = img.checkVisibility() ? img.getBoundingClientRect().width : NaN;
        if (!(shown > 0)) {
            const w = getComputedStyle(img).width;
            shown = w.endsWith("px") ? parseFloat(w) : NaN;
        }
        out.push({frame, type: type.replace("svg+xml", "svg"), natural: img.naturalWidth,
                  shown, complete: img.complete});
    }
    return out;
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site: Path):
    """The built site on a free port of 127.0.0.1, for as long as the block runs."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _load(browser, url: str, *, block_mathjax: bool, figures: bool = False) -> dict:
    """Open `url` in a fresh context (nothing cached) and wait until the page is idle: no
    long task and no request for QUIET_MS, and (unless MathJax is blocked) every formula in
    view typeset.  Times are milliseconds from the start of navigation, on the page's clock."""
    host = url.split("/")[2]
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=2)
    context.route(lambda u: u.split("/")[2:3] != [host] and not u.startswith(("data:", "blob:")),
                  lambda route: route.abort())
    if block_mathjax:
        context.route(MATHJAX_FILES, lambda route: route.abort())
    context.add_init_script(_INIT_JS.replace("POLL_MS", str(POLL_MS)))
    page = context.new_page()
    inflight = set()
    page.on("request", lambda r: inflight.add(r))
    page.on("requestfinished", lambda r: inflight.discard(r))
    page.on("requestfailed", lambda r: inflight.discard(r))
    try:
        page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_S * 1000)
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while True:
            st = page.evaluate(_STATE_JS)
            math_done = block_mathjax or st["mathReady"]
            last = max(st["load"] or 0, st["lastTask"], st["lastResource"],
                       0 if block_mathjax else (st["mathReadyAt"] or 0))
            if math_done and not inflight and st["now"] - last >= QUIET_MS:
                break
            if time.monotonic() > deadline:
                last = float("nan")
                break
            page.wait_for_timeout(100)
        result = {"fcp": st["fcp"], "idle": last, "busy": st["busy"], "widgets": st["widgets"],
                  "warning": st["noLongtasks"]}
        if figures:
            result["figures"] = page.evaluate(FIGURES_JS)
        return result
    finally:
        context.close()


def _median(values):
    values = [v for v in values if v == v and v is not None]  # drop NaN (timeouts)
    return statistics.median(values) if values else float("nan")


def reading_speed(site: Path, pages: list[str], runs: int):
    """Per page: FCP, idle with math, idle with MathJax blocked (medians over `runs` loads
    each, the two kinds alternating so that a change in the machine's load hits both), and
    its figures' sharpness."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    results = {}
    with serve(site) as base, sync_playwright() as p:
        launch = {"executable_path": chromium} if chromium else {}
        browser = p.chromium.launch(headless=True, args=CHROMIUM_ARGS, **launch)
        try:
            _load(browser, base + pages[0], block_mathjax=False)  # warm up the server and browser
            for name in pages:
                math, blocked = [], []
                for run in range(runs):
                    math.append(_load(browser, base + name, block_mathjax=False, figures=run == 0))
                    blocked.append(_load(browser, base + name, block_mathjax=True))
                results[name] = (math, blocked)
                print(f"  measured {name}", flush=True)
        finally:
            browser.close()
    return results


def _ratios(items) -> tuple[int, list[float], int]:
    """(vector count, raster pixels-per-CSS-pixel ratios, rasters of unknown size)."""
    vector, ratios, unknown = 0, [], 0
    for kind, natural, shown in items:
        if kind in ("svg", "svg+xml"):
            vector += 1
        elif natural and shown and shown > 0:
            ratios.append(natural / shown)
        else:
            unknown += 1
    return vector, ratios, unknown


def _sharpness(items) -> tuple[str, bool]:
    """(summary, all sharp?) of (kind, natural width, displayed width) triples."""
    vector, ratios, unknown = _ratios(items)
    if not vector and not ratios and not unknown:
        return "none", True
    summary = f"{vector + len(ratios) + unknown}: {vector} SVG"
    if ratios:
        summary += f", raster min {min(ratios):.2f}x"
    if unknown:
        summary += f", {unknown} of unknown size"
    return summary, not unknown and min(ratios, default=float("inf")) >= SHARPNESS_TARGET


def page_report(site: Path, runs: int) -> None:
    """Page weights, then reading speed and sharpness in Chromium, of a built site."""
    pages, shared = page_weights(site)
    print("\nPage weight (HTML with its embedded widget frames + images only it uses)")
    _table([
        (name, _kb(size + own), _kb(size), _kb(state), _kb(own),
         f"<= {_kb(PAGE_TARGET_BYTES)}", _status(size + own <= PAGE_TARGET_BYTES))
        for name, size, state, own, *_ in pages
    ], ("page", "weight", "html", "of which widgets", "images", "target", "status"))
    print(f"  shared assets, loaded once and then cached (theme, search index, MathJax, "
          f"widget manager, all their fonts): {_kb(shared)}")
    print("\nFigures by encoding (count, bytes; frames as stored, before the base64 of the page)")
    _table([
        (name, ", ".join(f"{kind}: {count} = {_kb(size)}" for kind, (count, size) in sorted(figs.items()))
         or "none")
        for name, size, state, own, figs, _ in pages
    ], ("page", "figures"))

    chapters = [name for name, *_ in pages if name.startswith("chapters/")]
    if not chapters:
        print("\n(no chapter pages: no browser measurements)")
        return
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("\nReading speed: skipped, Playwright is not installed "
              "(pip install -r requirements-test.txt)")
        return
    print(f"\nReading speed in headless Chromium, device pixel ratio 2, {VIEWPORT['width']}x"
          f"{VIEWPORT['height']} viewport; median of {runs} cold loads per kind, alternating",
          flush=True)
    results = reading_speed(site, chapters, runs)
    stored = {name: frames for name, *_, frames in pages}
    rows, sharp_rows = [], []
    for name in chapters:
        math, blocked = results[name]
        fcp, idle, idle0 = (_median(r["fcp"] for r in math), _median(r["idle"] for r in math),
                            _median(r["idle"] for r in blocked))
        ratio = idle / idle0 if idle0 > 0 else float("nan")
        note = ""
        if any(r["idle"] != r["idle"] for r in math + blocked):
            note = f"some loads not idle within {LOAD_TIMEOUT_S} s"
        elif {r["widgets"] for r in math} != {r["widgets"] for r in blocked}:
            note = "blocked loads rendered a different number of frames"
        def spread(loads):
            times = [r["idle"] / 1000 for r in loads]
            return f"{_median(times):.2f} s ({min(times):.2f}-{max(times):.2f})"

        busy = _median(r["busy"] for r in math)
        rows.append((name, f"{fcp / 1000:.2f} s", spread(math), spread(blocked), f"{ratio:.2f}",
                     f"<= {IDLE_RATIO_TARGET}", _status(ratio <= IDLE_RATIO_TARGET),
                     f"{busy / 1000:.2f} s", note))
        shown = [(f["type"], f["natural"], f["shown"]) for f in math[0].get("figures", [])]
        frames = [(f["format"], f["pixels"], f["css"]) for f in stored.get(name, [])]
        shown_text, shown_ok = _sharpness(shown)
        frames_text, frames_ok = _sharpness(frames)
        sharp_rows.append((name, shown_text, frames_text, f">= {SHARPNESS_TARGET:g}x",
                           _status(shown_ok and frames_ok)))
    _table(rows, ("page", "FCP", "idle, math in view", "idle, no MathJax", "ratio", "target",
                  "status", "long tasks", "note"))
    print("  idle: median (min-max) over the loads; long tasks: main thread blocked in tasks over"
          " 50 ms until idle, with math (median)")
    print("\nSharpness (image pixels per CSS pixel; SVG is sharp at any size)")
    _table(sharp_rows, ("page", "figures shown after loading (displayed width)",
                        "every slider frame stored (its CSS width)", "target", "status"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary build folder")
    parser.add_argument("--site", type=Path, metavar="DIR",
                        help="only report on the pages of a site already built in DIR "
                             "(e.g. _build/html): no build, no Chapter 8 benchmark")
    parser.add_argument("--runs", type=int, default=3, metavar="N",
                        help="page loads per chapter and kind (with and without MathJax); "
                             "medians are reported (default 3)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.site is not None:
        if not (args.site / "index.html").is_file():
            parser.error(f"{args.site} holds no built site (no index.html)")
        page_report(args.site.resolve(), args.runs)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="mathdl-bench-"))
    book = tmp / "book"
    rows: list[tuple[str, ...]] = []
    try:
        shutil.copytree(ROOT, book, ignore=IGNORE, symlinks=True)
        print(f"Benchmarking a fresh copy of the book in {book}", flush=True)

        print("cold build (executes every notebook)...", flush=True)
        cold, cold_code = _build(book, tmp / "cold.log")
        print("warm build (nothing changed)...", flush=True)
        warm, warm_code = _build(book, tmp / "warm.log")

        print("\nBuild")
        _table([
            ("cold build", f"{cold:.1f} s", f"<= {COLD_TARGET_S} s", _status(cold <= COLD_TARGET_S),
             "ok" if cold_code == 0 else f"exit {cold_code}, see {tmp / 'cold.log'}"),
            ("warm build", f"{warm:.1f} s", f"<= {WARM_TARGET_S} s", _status(warm <= WARM_TARGET_S),
             "ok" if warm_code == 0 else f"exit {warm_code}, see {tmp / 'warm.log'}"),
        ], ("what", "time", "target", "status", "build"))
        if cold_code or warm_code:
            args.keep = True
            log = tmp / ("cold.log" if cold_code else "warm.log")
            print("\n  The build reported problems; the end of its log:")
            for line in log.read_text(errors="replace").splitlines()[-15:]:
                print("    " + line)

        print("\nNotebook execution (jupyter-cache, cold build)")
        for name, seconds in sorted(execution_times(book).items()):
            target = CHAPTER_TARGET_OVERRIDES_S.get(name, CHAPTER_TARGET_S)
            rows.append((name, f"{seconds:.1f} s", f"<= {target} s", _status(seconds <= target)))
        if rows:
            _table(rows, ("notebook", "time", "target", "status"))
        else:
            print("  (no execution recorded)")

        site = book / "_build" / "html"
        if site.is_dir():
            page_report(site, args.runs)
    finally:
        if args.keep:
            print(f"\n(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    extra = ROOT / "tools" / "bench_diffusion.py"
    if extra.exists():
        print(f"\n{extra.relative_to(ROOT)}", flush=True)
        result = subprocess.run([sys.executable, str(extra)], cwd=ROOT,
                                capture_output=True, text=True)
        print(result.stdout.rstrip())
        if result.returncode:
            print(f"  (exited with status {result.returncode})\n{result.stderr.rstrip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
