"""JupyterLab shows what the website shows, and saving an opened chapter changes nothing.

A real JupyterLab (with the book's settings from ``binder/postBuild``, jupytext and
jupyterlab-myst) serves a copy of a chapter; headless Chromium opens it by a double click, as
a reader would. In the rendered notebook: a "Check your understanding" question is shown with
its answer folded (and the answer appears when the question is clicked), and a code listing
shows the helper's code. Then the notebook is saved from Lab's menu and the file must be
byte-identical to the committed one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "02_softmax_temperature.md"
QUESTION = "Why subtract the maximum, and not the minimum or the mean?"
ANSWER_WORDS = "Subtracting the minimum"  # the start of that question's answer
LISTING = "def softmax("
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab on a copy of one chapter, with the settings Binder and `make lab` use."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed (Debian: `apt-get install chromium`)")
    tmp = tmp_path_factory.mktemp("lab")
    root, prefix, home = tmp / "book", tmp / "prefix", tmp / "home"
    (root / "chapters").mkdir(parents=True)
    shutil.copy2(ROOT / "chapters" / CHAPTER, root / "chapters" / CHAPTER)
    env = dict(os.environ, NB_PYTHON_PREFIX=str(prefix), HOME=str(home),
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_RUNTIME_DIR=str(tmp / "rt"))
    subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, check=True)
    port = _free_port()
    log = open(tmp / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
         "--allow-root", f"--ServerApp.root_dir={root}",
         f"--LabApp.app_settings_dir={prefix}/share/jupyter/lab/settings"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text())
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{port}/lab/tree/chapters?reset")
            page.locator(".jp-DirListing-item", has_text=CHAPTER).dblclick()
            page.wait_for_selector(".jp-Notebook .jp-MarkdownCell")
            yield page, root
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _scroll_to(page, text: str):
    """Lab draws only the cells near the viewport: scroll until a rendered cell holds text."""
    cell = page.locator(".jp-MarkdownCell div.myst", has_text=text).first  # jupyterlab-myst
    page.evaluate("document.querySelector('.jp-WindowedPanel-outer').scrollTop = 0")
    for _ in range(300):
        if cell.count():
            cell.scroll_into_view_if_needed()
            return cell
        page.evaluate("document.querySelector('.jp-WindowedPanel-outer').scrollTop += 1200")
        time.sleep(0.1)
    pytest.fail(f"no rendered markdown cell shows {text!r}")


def test_question_is_shown_with_its_answer_folded(lab):
    page, _ = lab
    cell = _scroll_to(page, QUESTION)
    question = cell.get_by_text(QUESTION, exact=True)
    assert question.is_visible(), "the question (the admonition's title) is not shown"
    assert ":class: dropdown" not in cell.inner_text(), "the admonition shows as raw text"
    answer = cell.get_by_text(ANSWER_WORDS, exact=False).first
    assert not answer.is_visible(), "the answer is shown unfolded"
    question.click()
    answer.wait_for(state="visible", timeout=5_000)


def test_listing_shows_the_helpers_code(lab):
    page, _ = lab
    cell = _scroll_to(page, "softmax in helpers/softmax.py")
    listing = cell.locator("figure", has_text="softmax in helpers/softmax.py").first
    listing.scroll_into_view_if_needed()
    listing.wait_for(state="visible", timeout=5_000)
    code = listing.locator("pre").first
    assert code.is_visible() and LISTING in code.inner_text(), "the listing shows no code"
    assert "{code-block}" not in cell.inner_text(), "the listing shows as raw text"


def test_saving_the_opened_chapter_changes_nothing(lab):
    page, root = lab
    path = root / "chapters" / CHAPTER
    before = path.stat().st_mtime_ns
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Control+s")
    for _ in range(100):
        if path.stat().st_mtime_ns != before:
            break
        time.sleep(0.1)
    else:
        pytest.fail("Lab did not save the chapter")
    time.sleep(0.5)
    assert path.read_bytes() == (ROOT / "chapters" / CHAPTER).read_bytes(), (
        "saving the chapter in JupyterLab rewrote it")
