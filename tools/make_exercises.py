"""Generate the exercise notebooks from the solution notebooks (the one source of truth).

    python tools/make_exercises.py          # write exercises/NN_*.ipynb from solutions/
    python tools/make_exercises.py --check  # exit 1 if any exercise notebook has drifted

In a solution notebook, the reader's part of a code cell sits between two marker lines::

    def entropy(p):
        # BEGIN SOLUTION
        p = np.asarray(p)
        ...
        # END SOLUTION

and becomes ``raise NotImplementedError("Exercise: ...")`` (same indentation) in the exercise.
``# BEGIN SOLUTION -> answer = ...`` puts the text after the arrow in its place instead.
Cells tagged ``solution-only`` are dropped.  Outputs and execution counts are always removed.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?:\s*->\s*(?P<stub>.*))?\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEFAULT_STUB = 'raise NotImplementedError("Exercise: replace this line with your code")'


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


def exercise_from_solution(solution_path: Path):
    nb = nbformat.read(solution_path, as_version=4)
    ex = copy.deepcopy(nb)
    ex.cells = [c for c in ex.cells if "solution-only" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(ex.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{solution_path.name} cell {i}")
    return clean(ex)


def render(nb) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if exercises differ from what would be generated")
    args = parser.parse_args(argv)
    drifted = []
    for sol in sorted((ROOT / "solutions").glob("*.ipynb")):
        target = ROOT / "exercises" / sol.name
        text = render(exercise_from_solution(sol))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            if args.check:
                drifted.append(target.relative_to(ROOT))
            else:
                target.write_text(text, encoding="utf-8")
                print(f"wrote {target.relative_to(ROOT)}")
    if drifted:
        print("out of date (run `python tools/make_exercises.py`): " + ", ".join(map(str, drifted)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
