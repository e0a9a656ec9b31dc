"""Execute one chapter (a MyST-markdown or .ipynb notebook) as the book build does, and report.

    .venv/bin/python tools/run_chapter.py chapters/01_information_theory.md [-o out.ipynb]

The notebook runs in its own folder, like the build; every cell's printed output and run time
is shown, and the first failing cell is reported with its traceback.  Use it while writing a
chapter: it is much faster than building the whole book, and touches nothing in `_build/`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def _text(outputs) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data and not any(k.startswith("image/") for k in data):
                parts.append(data["text/plain"] + "\n")
            elif any(k.startswith("image/") for k in data):
                parts.append("[figure]\n")
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])) + "\n")
    return "".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="write the executed notebook here")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("-q", "--quiet", action="store_true", help="timings only, no outputs")
    args = parser.parse_args(argv)

    nb = jupytext.read(args.notebook)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(args.notebook.resolve().parent)}})
    start = time.perf_counter()
    status = 0
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            try:
                client.execute_cell(cell, i)
            except CellExecutionError:
                status = 1
            dt = time.perf_counter() - t0
            tags = ",".join(cell.metadata.get("tags", []))
            first = cell.source.strip().splitlines()[0][:70] if cell.source.strip() else ""
            print(f"--- cell {code_cells.index(cell) + 1}/{len(code_cells)}  {dt:6.2f} s"
                  f"  {('[' + tags + ']  ') if tags else ''}{first}")
            if not args.quiet or status:
                out = _text(cell.get("outputs", []))
                if out:
                    print(out.rstrip())
            if status:
                print(f"FAILED in cell {code_cells.index(cell) + 1}", file=sys.stderr)
                break
    print(f"=== {args.notebook}: {time.perf_counter() - start:.1f} s in all"
          f"{'' if not status else ' (stopped at the failing cell)'}")
    if args.output:
        nbformat.write(nb, args.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
