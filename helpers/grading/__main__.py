"""Grade a filled-in exercise notebook: ``python -m helpers.grading NOTEBOOK [--json]``.

Several notebooks may be given at once (a class's submissions); ``--json`` then prints a list.

The notebook is executed top to bottom in a fresh kernel (a cell that raises does not stop
the run), every ``check(...)`` it calls is recorded, and a score table is printed.  The
maximum score is the number of questions of the notebook's chapter, so a deleted check
counts as a missed question.  Exit status: 0 whenever every notebook could be graded,
whatever the score; 2 when one could not be read or run at all.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from . import LOG_ENV, questions


def _chapter_of(nb, path: Path) -> int | None:
    meta = nb.metadata.get("grading", {})
    if "chapter" in meta:
        return int(meta["chapter"])
    match = re.match(r"(\d+)", path.name)
    return int(match.group(1)) if match else None


def grade_notebook(path: str | Path, timeout: int = 300) -> dict:
    """Execute ``path`` and return the report as a dict (see the module docstring)."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    chapter = _chapter_of(nb, path)
    expected = [qid for qid, info in questions().items() if info.chapter == chapter]

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "checks.jsonl"
        log.touch()
        old = os.environ.get(LOG_ENV)
        os.environ[LOG_ENV] = str(log)
        try:
            client = NotebookClient(
                nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                resources={"metadata": {"path": str(path.parent.resolve())}},
            )
            client.execute()
        finally:
            if old is None:
                os.environ.pop(LOG_ENV, None)
            else:
                os.environ[LOG_ENV] = old
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]

    latest = {r["id"]: r for r in records}  # a question checked twice counts once, last try
    ids = expected + [qid for qid in latest if qid not in expected]
    rows = []
    for qid in ids:
        r = latest.get(qid)
        if r is None:
            rows.append({"id": qid, "passed": False, "message": "not attempted: no check ran for this question"})
        else:
            rows.append({"id": qid, "passed": bool(r["passed"]), "message": r["message"]})
    counted = [r for r in rows if r["id"] in expected] if expected else rows
    return {
        "notebook": str(path),
        "score": sum(r["passed"] for r in counted),
        "max_score": len(counted),
        "questions": rows,
    }


def _table(report: dict) -> str:
    width = max([len(q["id"]) for q in report["questions"]] + [8])
    lines = [f"{report['notebook']}", f"{'question':<{width}}  result  message", "-" * (width + 40)]
    for q in report["questions"]:
        lines.append(f"{q['id']:<{width}}  {'pass' if q['passed'] else 'FAIL':<6}  {q['message']}")
    lines.append("-" * (width + 40))
    lines.append(f"score: {report['score']} / {report['max_score']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.grading", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                        help="filled-in exercise notebook(s) (.ipynb); several, e.g. a class's submissions")
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON (a list of reports when several notebooks are given)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
    args = parser.parse_args(argv)
    reports, status = [], 0
    for notebook in args.notebooks:
        try:
            reports.append(grade_notebook(notebook, timeout=args.timeout))
        except FileNotFoundError:
            print(f"error: no such notebook: {notebook}", file=sys.stderr)
            status = 2
        except Exception as exc:  # unreadable notebook, kernel that would not start, ...
            print(f"error: could not grade {notebook}: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 2
    if args.json:
        payload = reports[0] if len(args.notebooks) == 1 and reports else reports
        if reports or len(args.notebooks) > 1:
            print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(_table(r) for r in reports))
    return status


if __name__ == "__main__":
    sys.exit(main())
