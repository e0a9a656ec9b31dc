"""Generate the exercise notebooks from the solution notebooks (the one source of truth).

    python tools/make_exercises.py          # write exercises/NN_*.ipynb from solutions/
    python tools/make_exercises.py --check  # exit 1 if any exercise notebook has drifted
    python tools/make_exercises.py --force  # also overwrite exercise notebooks that hold edits

In a solution notebook, the reader's part of a code cell sits between two marker lines::

    def entropy(p):
        # BEGIN SOLUTION
        p = np.asarray(p)
        ...
        # END SOLUTION

and becomes ``raise NotImplementedError("Exercise: ...")`` (same indentation) in the exercise.
``# BEGIN SOLUTION -> answer = ...`` puts the text after the arrow in its place instead.
Cells tagged ``solution-only`` are dropped.  Outputs and execution counts are always removed,
the kernel metadata is always the same (whatever kernel last ran the solution), and a short
"where to work" note goes under the first heading.

Each exercise records a fingerprint of its cells (``metadata.exercise.cells_sha256``), so
``make exercises`` can tell a notebook exactly as generated from one that holds someone's
answers: it never overwrites the second kind unless ``--force`` is given.  ``--check``
compares content: the kernel metadata (``kernelspec``, ``language_info``), which a kernel
rewrites as soon as it starts, is not part of it.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?:\s*->\s*(?P<stub>.*))?\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEFAULT_STUB = 'raise NotImplementedError("Exercise: replace this line with your code")'

#: Notebook metadata a kernel rewrites when it starts: never part of an exercise's content.
KERNEL_METADATA = ("kernelspec", "language_info")
#: What every generated exercise says about its kernel.
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

WHERE_TO_WORK = (
    "**Where to work.** Work on your own copy of this notebook: in a clone of the book's "
    "repository, `make practice` copies the exercise notebooks to `practice/` (ignored by git; "
    "a copy that exists is never overwritten), so open `practice/{name}`. A notebook "
    "downloaded from the website or opened on Binder is already your own copy. (This file is "
    "generated from `solutions/` by `tools/make_exercises.py`.) Write the answers yourself: "
    "the grader flags an answer that uses the book's own code ({modules})."
)


def strip_solutions(source: str, where: str = "") -> str:
    out, inside = [], False
    for number, line in enumerate(source.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise ValueError(f"{where}: nested '# BEGIN SOLUTION' at line {number}")
            inside = True
            out.append(begin["indent"] + (begin["stub"] or DEFAULT_STUB))
        elif END.match(line):
            if not inside:
                raise ValueError(f"{where}: '# END SOLUTION' without a BEGIN at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '# BEGIN SOLUTION' is never closed")
    return "\n".join(out)


def clean(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def cells_digest(nb) -> str:
    """A fingerprint of a notebook's cells (type and source): what an answer would change."""
    cells = [[c["cell_type"], c["source"] if isinstance(c["source"], str) else "".join(c["source"])]
             for c in nb["cells"]]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def _topic_modules(nb) -> list[str]:
    """The book's modules for the topics this notebook's checks grade: helpers.info, ..."""
    topics = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for topic in re.findall(r"""check\(\s*["'](\w+)\.""", cell.source):
                if topic not in topics:
                    topics.append(topic)
    return [f"`helpers.{t}`" for t in topics] or ["`helpers`"]


def _add_where_to_work(nb, name: str) -> None:
    note = textwrap.fill(WHERE_TO_WORK.format(name=name, modules=", ".join(_topic_modules(nb))),
                         width=95, break_long_words=False, break_on_hyphens=False)
    if any(note in c.source for c in nb.cells if c.cell_type == "markdown"):
        return
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "markdown":
        lines = first.source.split("\n")
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        if at < len(lines) and not lines[at].strip():
            at += 1  # keep the blank line under the heading
        lines[at:at] = ([""] if at and lines[at - 1].strip() else []) + [note] + ([""] if at < len(lines) else [])
        first.source = "\n".join(lines)
    else:
        cell = nbformat.v4.new_markdown_cell(note)
        if nb.nbformat_minor >= 5:
            cell["id"] = "where-to-work"
        else:
            cell.pop("id", None)
        nb.cells.insert(0, cell)


def exercise_from_solution(solution_path: Path):
    nb = nbformat.read(solution_path, as_version=4)
    ex = copy.deepcopy(nb)
    ex.cells = [c for c in ex.cells if "solution-only" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(ex.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{solution_path.name} cell {i}")
    _add_where_to_work(ex, solution_path.name)
    ex.metadata["kernelspec"] = dict(KERNELSPEC)
    ex.metadata["language_info"] = dict(LANGUAGE_INFO)
    ex.metadata["exercise"] = {"generated_from": f"solutions/{solution_path.name}"}
    ex = clean(ex)
    ex.metadata["exercise"]["cells_sha256"] = cells_digest(ex)
    return ex


def render(nb) -> str:
    return nbformat.writes(nb) + "\n"


def content(text: str):
    """A notebook's content for comparison: its JSON without the kernel metadata."""
    nb = json.loads(text)
    for key in KERNEL_METADATA:
        nb.get("metadata", {}).pop(key, None)
    return nb


def holds_edits(text: str, generated) -> bool:
    """True if an exercise notebook's cells were changed since it was generated (answers?)."""
    try:
        nb = json.loads(text)
        recorded = nb.get("metadata", {}).get("exercise", {}).get("cells_sha256")
        if recorded is not None:
            return cells_digest(nb) != recorded
        # Written before fingerprints: edited if a stub of the new version is gone.
        stubs = [line.strip() for c in generated.cells if c.cell_type == "code"
                 for line in c.source.splitlines() if "NotImplementedError" in line]
        present = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        return not all(stub in present for stub in stubs)
    except (ValueError, KeyError, TypeError, AttributeError):
        return True  # not even a notebook: somebody's file, keep it


def plan(root: Path = ROOT) -> list[tuple[Path, str, str]]:
    """For each solution: (exercise path, generated text, state) with state one of
    "current" (same content), "missing", "stale" (differs, untouched) and "edited"."""
    rows = []
    for sol in sorted((root / "solutions").glob("*.ipynb")):
        target = root / "exercises" / sol.name
        generated = exercise_from_solution(sol)
        text = render(generated)
        if not target.exists():
            rows.append((target, text, "missing"))
            continue
        current = target.read_text(encoding="utf-8")
        try:
            same = content(current) == content(text)
        except ValueError:
            same = False
        if same:
            rows.append((target, text, "current"))
        else:
            rows.append((target, text, "edited" if holds_edits(current, generated) else "stale"))
    return rows


def main(argv=None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if exercises differ in content from what would be generated")
    parser.add_argument("--force", action="store_true",
                        help="overwrite exercise notebooks even if they hold edits (answers)")
    args = parser.parse_args(argv)
    try:
        rows = plan(root)
    except (ValueError, OSError) as exc:  # a malformed solution notebook
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    status = 0
    for target, text, state in rows:
        rel = target.relative_to(root)
        if state == "current":
            continue
        if args.check:
            status = 1
            if state == "edited":
                print(f"{rel} holds edits (answers?): work on a copy (`make practice`), then "
                      f"restore it with `git checkout {rel}` or `make exercises FORCE=1`")
            else:
                print(f"{rel} is out of date: regenerate it with `make exercises`")
        elif state == "edited" and not args.force:
            status = 1
            print(f"kept {rel}: it holds edits (answers?) made since it was generated; work on a "
                  f"copy (`make practice`), or overwrite it with `make exercises FORCE=1`")
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {rel}")
    return status


if __name__ == "__main__":
    sys.exit(main())
