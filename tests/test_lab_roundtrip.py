"""Opening a file in JupyterLab and saving it changes nothing unless the reader edited it.

JupyterLab reads and writes every notebook through the server's contents manager, which
jupytext replaces (``jupytext`` in requirements.txt) so that the MyST-markdown chapters open
as notebooks.  These tests do what Lab does, on copies of the book's files: get the model,
send its JSON back, with the notebook metadata a kernel writes when it starts (Lab sets
``kernelspec`` to ``{name, display_name, language}`` of the kernel and ``language_info`` to
the kernel's own), and save it.  The saved bytes must equal the committed ones; for an
exercise notebook, whose ``.ipynb`` keeps the kernel's metadata, ``tools/make_exercises.py
--check`` must still pass.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
PAGES = sorted(p for p in ROOT.glob("*.md"))  # intro, glossary, ... and README: Lab opens them as notebooks too
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402


def _kernel_metadata() -> tuple[dict, dict]:
    """kernelspec and language_info as JupyterLab writes them once the python3 kernel runs."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    kernelspec = {"name": "python3", "display_name": spec.display_name, "language": spec.language}
    return kernelspec, json.loads(json.dumps(IPythonKernel.language_info))


def _open_and_save(root: Path, rel: str, kernel: bool) -> None:
    """Open ``rel`` as Lab does, (optionally) start a kernel on it, and save it."""
    from jupytext import AsyncTextFileContentsManager

    async def go():
        cm = AsyncTextFileContentsManager(root_dir=str(root))
        model = await cm.get(rel, content=True)
        assert model["type"] == "notebook", f"{rel} does not open as a notebook"
        content = json.loads(json.dumps(model["content"]))  # what the browser holds and sends back
        if kernel:
            kernelspec, language_info = _kernel_metadata()
            content["metadata"]["kernelspec"] = kernelspec
            content["metadata"]["language_info"] = language_info
        await cm.save({"type": "notebook", "format": "json", "content": content}, rel)

    asyncio.run(go())


def _copy(tmp_path: Path, paths) -> Path:
    root = tmp_path / "book"
    for path in paths:
        target = root / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return root


def _diff(before: bytes, after: bytes, name: str) -> str:
    lines = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(),
                                 f"{name} (committed)", f"{name} (saved by Lab)", lineterm="", n=1)
    return "\n".join(list(lines)[:60])


@pytest.mark.parametrize("kernel", [False, True], ids=["opened", "kernel-started"])
@pytest.mark.parametrize("path", CHAPTERS + PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_files_are_saved_byte_identical(tmp_path, path, kernel):
    root = _copy(tmp_path, [path])
    rel = str(path.relative_to(ROOT))
    before = (root / rel).read_bytes()
    _open_and_save(root, rel, kernel)
    after = (root / rel).read_bytes()
    assert after == before, "saving in JupyterLab rewrites the file:\n" + _diff(before, after, rel)


@pytest.mark.parametrize("path", EXERCISES + SOLUTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_opened_and_saved_are_byte_identical(tmp_path, path):
    root = _copy(tmp_path, [path])
    rel = str(path.relative_to(ROOT))
    before = (root / rel).read_bytes()
    _open_and_save(root, rel, kernel=False)
    after = (root / rel).read_bytes()
    assert after == before, "saving in JupyterLab rewrites the file:\n" + _diff(before, after, rel)


def test_exercises_saved_with_a_kernel_pass_the_drift_check(tmp_path):
    """A kernel's metadata in exercises/ and solutions/ is not drift (make test stays green)."""
    root = _copy(tmp_path, EXERCISES + SOLUTIONS)
    assert make_exercises.main(["--check"], root=root) == 0
    for path in EXERCISES + SOLUTIONS:
        _open_and_save(root, str(path.relative_to(ROOT)), kernel=True)
    saved = json.loads((root / EXERCISES[0].relative_to(ROOT)).read_text(encoding="utf-8"))
    assert saved["metadata"]["language_info"].get("version"), "the kernel's metadata was not saved"
    assert make_exercises.main(["--check"], root=root) == 0
