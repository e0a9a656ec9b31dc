"""Benchmarks for `make bench`: build times, notebook execution times and page weights.

    python tools/bench.py            # cold + warm build of a fresh copy, then the report
    python tools/bench.py --keep     # keep the temporary copy (its path is printed)

The repository is copied to a temporary folder without `_build` (so nothing is cached) and
built there with the same command as `make book`:

* cold build: the first build, which executes every notebook;
* warm build: the same build again with nothing changed (Sphinx and jupyter-cache reuse it all);
* execution time of each notebook, as jupyter-cache recorded it during the cold build;
* weight of each page: its HTML (which embeds the widget state, i.e. every slider frame) plus
  the images only it uses, and the shared assets (theme, MathJax, widget manager) that every
  page loads once and the browser then caches.

Each line is compared with the book's target and marked PASS or FAIL.  This reports; it never
fails (exit status 0), so slow machines do not break `make test`.  If tools/bench_diffusion.py
exists its report follows.
"""

from __future__ import annotations

import argparse
import html.parser
import shutil
import subprocess
import sys
import tempfile
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


def page_weights(site: Path):
    """Per page: (page, html bytes, widget-state bytes, own-image bytes); and the shared assets."""
    pages, shared = [], {}
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site)
        if rel.parts[0].startswith("_") or rel == Path("index.html"):
            continue
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        own = 0
        for url in parser.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue  # not a local file (and the site test forbids those anyway)
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file():
                continue
            if target.relative_to(site.resolve()).parts[0] == "_images":
                own += target.stat().st_size  # the page's own figures
            else:
                shared[target] = target.stat().st_size  # _static/, searchindex.js
        pages.append((rel.as_posix(), page.stat().st_size, parser.widget_state, own))
    # Fonts the shared CSS/JS fetch (MathJax, widget icons) are loaded on demand: count the
    # vendored ones too, so the shared total is an upper bound.
    for font in (site / "_static").rglob("*"):
        if font.suffix in (".woff", ".woff2") and font.is_file():
            shared[font.resolve()] = font.stat().st_size
    return pages, sum(shared.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary build folder")
    args = parser.parse_args()

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
            pages, shared = page_weights(site)
            print("\nPage weight (HTML with its embedded widget frames + images only it uses)")
            _table([
                (name, _kb(size + own), _kb(size), _kb(state), _kb(own),
                 f"<= {_kb(PAGE_TARGET_BYTES)}", _status(size + own <= PAGE_TARGET_BYTES))
                for name, size, state, own in pages
            ], ("page", "weight", "html", "of which widgets", "images", "target", "status"))
            print(f"  shared assets, loaded once and then cached (theme, search index, MathJax, "
                  f"widget manager, all their fonts): {_kb(shared)}")
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
