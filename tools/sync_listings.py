"""Keep the helper code shown in the chapters identical to the code in ``helpers/``.

    python tools/sync_listings.py          # rewrite the listings in chapters/*.md from helpers/
    python tools/sync_listings.py --check  # exit 1 if a listing differs from its helper

A chapter shows the helper code it teaches as a MyST code block whose caption names the
object and its file::

    ```{code-block} python
    :caption: softmax in helpers/softmax.py

    def softmax(z, tau=1.0, axis=-1):
        ...
    ```

The block holds the code itself, so it reads the same on the website and in JupyterLab
(where Sphinx's ``literalinclude`` cannot be rendered and shows nothing).  This tool is what
keeps it honest: it replaces each block's body with the current source of the named object
(``inspect.getsource``, dedented; ``Class.method`` names a method), and turns a
``literalinclude`` of ``../helpers/*.py`` with ``:pyobject:`` into such a block.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FENCE = "```"
LISTING = re.compile(
    r"^```\{code-block\} python\n:caption: (?P<obj>[\w.]+) in (?P<file>helpers/[\w/]+\.py)\n\n"
    r"(?P<body>.*?)^```$",
    re.M | re.S,
)
INCLUDE = re.compile(
    r"^```\{literalinclude\} \.\./(?P<file>helpers/[\w/]+\.py)\n(?P<opts>(?::[\w-]+:.*\n)+)```$",
    re.M,
)


def source_of(file: str, obj: str) -> str:
    """The dedented source of ``obj`` (``name`` or ``Class.method``) in ``helpers/...py``."""
    module = importlib.import_module(file[: -len(".py")].replace("/", "."))
    target = module
    for part in obj.split("."):
        if not hasattr(target, part):
            raise SystemExit(f"{file} has no object {obj!r} (named by a listing in a chapter)")
        target = getattr(target, part)
    return textwrap.dedent(inspect.getsource(target)).rstrip("\n") + "\n"


def listing(file: str, obj: str) -> str:
    return f"{FENCE}{{code-block}} python\n:caption: {obj} in {file}\n\n{source_of(file, obj)}{FENCE}"


def from_include(match: re.Match) -> str:
    opts = dict(re.findall(r"^:([\w-]+):\s*(.*)$", match["opts"], re.M))
    unknown = set(opts) - {"language", "pyobject"}
    if "pyobject" not in opts or unknown:
        raise SystemExit(
            f"literalinclude of {match['file']} with options {sorted(opts)}: only :pyobject: "
            "(and :language: python) can become a listing"
        )
    return listing(match["file"], opts["pyobject"])


def synced(text: str) -> str:
    text = INCLUDE.sub(from_include, text)
    return LISTING.sub(lambda m: listing(m["file"], m["obj"]), text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    parser.add_argument("files", nargs="*", type=Path, help="default: chapters/*.md")
    args = parser.parse_args(argv)
    files = args.files or sorted((ROOT / "chapters").glob("*.md"))
    drifted = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        new = synced(text)
        if new != text:
            drifted.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in drifted:
        rel = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        verb = "differs from helpers/" if args.check else "updated from helpers/"
        print(f"{rel}: a code listing {verb}")
    if args.check and drifted:
        print("run `python tools/sync_listings.py` to copy the helpers' code into the chapters")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
