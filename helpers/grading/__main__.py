"""Grade filled-in exercise notebooks: ``python -m helpers.grading NOTEBOOK... [--json|--csv]``.

Give one notebook, or a class's (``submissions/*.ipynb``): each is reported (a score table;
one that cannot be read gets a one-line error instead), then, for several, a class summary
with one line per student.  ``--summary`` prints only that summary, ``--csv`` prints it as a
spreadsheet (a column per question), ``--json`` prints the reports (a list for several).

How a notebook is graded, so that an instructor can trust the score:

* it runs top to bottom in a fresh Python process of its own (the *runner*), in its folder;
  a cell that raises does not stop the run, and a cell still running after ``--timeout``
  seconds (default 30) is stopped, killing and restarting the runner without that cell if
  it will not stop, so every question that can be graded is;
* every ``check(question_id, answer)`` it calls only records the answer;
* after the run, each recorded answer is graded here, in this process, which runs none of
  the notebook's code: the answer's function runs in the runner and only its return values
  come back (as plain numbers and arrays).  Whatever the notebook does to
  ``helpers.grading``, NumPy or anything else happens in the runner and changes nothing;
* an answer that uses the book's own reference code (``from helpers.info import entropy``,
  the question banks of ``helpers.grading``) is flagged and scores nothing.

The maximum score is the number of questions of the notebook's chapter (its metadata
``grading.chapter``, else the number its file name starts with, or ``--chapter``), so a
deleted check counts as a missed question.  Exit status: 0 when every notebook was graded,
whatever the scores; 2 when one could not be read.  POSIX only (signals, pipes).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import csv
import io
import json
import os
import pickle
import re
import select
import signal
import struct
import subprocess
import sys
import time
import types
from pathlib import Path

from . import BANKS, LOG_ENV, Result, _registry, _TimeLimit, evaluate, questions

#: Seconds a notebook cell may run before it is stopped (the issue's bound is 60).
CELL_TIMEOUT = 30
#: Seconds the runner gets, beyond a time limit, to stop by itself before it is killed.
GRACE = 5.0
#: How many times the runner of one notebook is killed and restarted before giving up.
MAX_RESTARTS = 3
#: The largest message a runner may send (bytes): return values far larger are not answers.
MAX_MESSAGE = 1 << 30
#: The folder that holds the ``helpers`` package the runner must import (this one).
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class NotebookError(Exception):
    """A notebook that cannot be graded at all; the message is one line."""


class _RunnerLost(BaseException):
    """The runner process exited or was killed during an answer's call."""


# =========================================================================== reading
def read_notebook(path: Path):
    """The notebook at ``path`` (nbformat v4), or NotebookError with a one-line reason."""
    import nbformat

    if not path.exists():
        raise NotebookError("no such notebook")
    if path.is_dir():
        raise NotebookError("is a directory, not a notebook")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError("not a notebook: the file is not UTF-8 text") from None
    except OSError as exc:
        raise NotebookError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NotebookError(f"not a notebook: the file is not JSON ({_first_line(exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or "nbformat" not in data:
        raise NotebookError("not a notebook: JSON, but without the 'cells' and 'nbformat' of a Jupyter notebook")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat's validation errors are many lines long
        raise NotebookError(f"not a valid notebook: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _chapter_of(nb, path: Path) -> int | None:
    meta = nb.metadata.get("grading", {})
    try:
        if "chapter" in meta:
            return int(meta["chapter"])
    except (TypeError, ValueError):
        pass
    match = re.match(r"(\d+)", path.name)
    return int(match.group(1)) if match else None


# =========================================================================== static checks
def is_reference(dotted: str) -> bool:
    """Whether a dotted name is the book's reference code: a topic module (``helpers.info``
    and everything in it), a question bank or a private part of ``helpers.grading``."""
    parts = dotted.split(".")
    if parts[0] != "helpers" or len(parts) < 2:
        return False
    if parts[1] in BANKS:
        return True
    return parts[1] == "grading" and len(parts) >= 3 and (parts[2] in BANKS or parts[2].startswith("_"))


def _python_source(source: str) -> str:
    """A cell's source as plain Python (IPython magics turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


class _Scan:
    """What the notebook's source shows: every use of the book's reference code (``flags``,
    one line each) and, for each question, whether the answer its last ``check(...)`` passes
    was, at that point of the notebook, bound to reference code (``flagged``)."""

    def __init__(self, code_cells: list[tuple[int, str]]):
        self.flags: list[str] = []
        self.aliases: dict[str, str] = {}  # name -> the helpers module or object it is bound to
        self.tainted: set[str] = set()     # top-level names that hold or reach reference code
        self._flagged: dict[str, bool] = {}
        for number, source in code_cells:
            try:
                tree = ast.parse(_python_source(source))
            except SyntaxError:
                continue
            for statement in tree.body:  # in notebook order, as the names are bound
                refs = self._references(statement)
                for ref in refs:
                    if not any(other != ref and other.startswith(ref + ".") for other in refs):
                        line = f"code cell {number} uses {ref}"
                        if line not in self.flags:
                            self.flags.append(line)
                for node in ast.walk(statement):
                    self._record_check(node)
                bound = _bound_names(statement)
                if not isinstance(statement, (ast.Import, ast.ImportFrom)):
                    for name in bound:  # rebound by the notebook's own code
                        self.aliases.pop(name, None)
                if refs or self._reads_tainted(statement):
                    self.tainted |= bound
                else:
                    self.tainted -= bound

    def _references(self, node) -> set[str]:
        """Reference code a statement imports or reads (and the aliases it creates)."""
        refs = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                for alias in sub.names:
                    refs.add(alias.name)
                    if alias.name.startswith("helpers"):
                        bound = alias.asname or alias.name.split(".")[0]
                        self.aliases[bound] = alias.name if alias.asname else "helpers"
            elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                for alias in sub.names:
                    refs.add(f"{sub.module}.{alias.name}")
                    if sub.module.startswith("helpers"):
                        self.aliases[alias.asname or alias.name] = f"{sub.module}.{alias.name}"
            elif isinstance(sub, ast.Call) and sub.args and isinstance(sub.args[0], ast.Constant):
                name = _dotted(sub.func) or ""
                if name.split(".")[-1] in ("__import__", "import_module") and isinstance(sub.args[0].value, str):
                    refs.add(sub.args[0].value)
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Attribute, ast.Name)) and isinstance(getattr(sub, "ctx", None), ast.Load):
                dotted = _dotted(sub)
                head, _, rest = (dotted or "").partition(".")
                if head in self.aliases:
                    refs.add(self.aliases[head] + (f".{rest}" if rest else ""))
        return {r for r in refs if is_reference(r)}

    def _reads_tainted(self, node) -> bool:
        return any(isinstance(n, ast.Name) and n.id in self.tainted for n in ast.walk(node))

    def _record_check(self, node) -> None:
        if not (isinstance(node, ast.Call) and len(node.args) >= 2):
            return
        if (_dotted(node.func) or "").split(".")[-1] != "check":
            return
        qid = node.args[0]
        if isinstance(qid, ast.Constant) and isinstance(qid.value, str):
            answer = node.args[1]
            self._flagged[qid.value] = bool(self._references(answer)) or self._reads_tainted(answer)

    def flagged(self, qid: str) -> bool:
        return self._flagged.get(qid, False)


def _bound_names(statement) -> set[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name.split(".")[0]) for a in statement.names}
    targets = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


# =========================================================================== messages
# Frames: 8-byte length, then a pickle.  The runner's messages are read with _SafeUnpickler,
# which builds nothing but plain data: a notebook cannot make this process run its code.
def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("!Q", len(data)) + data)
    stream.flush()


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("builtins", "complex"):
            return complex
        raise pickle.UnpicklingError(f"refused {module}.{name}")


def _encode(obj, depth: int = 0):
    """A return value as plain data (tagged tuples); anything else becomes an opaque stand-in."""
    import numpy as np

    if obj is None or type(obj) in (bool, int, float, complex, str, bytes):
        return obj
    if isinstance(obj, np.generic) and obj.dtype.kind in "biufc":
        return ("S", obj.dtype.str, obj.tobytes())
    for kind in (bool, int, float, complex, str, bytes):  # subclasses: IntEnum, str enums, ...
        if isinstance(obj, kind):
            return kind(obj)
    if depth > 20:
        return ("O", type(obj).__name__, "nested too deep")
    if obj is Ellipsis:
        return ("E",)
    if isinstance(obj, np.ndarray):
        if obj.dtype.fields is None and obj.dtype.kind in "biufcmM":
            return ("A", obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
        if obj.dtype.kind == "O":
            return ("AO", obj.shape, [_encode(x, depth + 1) for x in obj.ravel().tolist()])
        return ("O", "ndarray", f"dtype {obj.dtype}")
    if type(obj).__module__ == "torch" and type(obj).__name__ in ("Tensor", "Parameter"):
        try:
            tensor = obj.detach().cpu()
            if str(tensor.dtype) == "torch.bfloat16":
                tensor = tensor.float()
            return ("P", _encode(tensor.numpy(), depth + 1))
        except Exception:
            return ("O", "Tensor", "")
    if isinstance(obj, tuple):
        return ("T", [_encode(x, depth + 1) for x in obj])
    if isinstance(obj, list):
        return ("L", [_encode(x, depth + 1) for x in obj])
    if isinstance(obj, dict):
        return ("D", [(_encode(k, depth + 1), _encode(v, depth + 1)) for k, v in obj.items()])
    try:
        text = repr(obj)[:80]
    except Exception:
        text = ""
    return ("O", type(obj).__name__, text)


_OPAQUE: dict[str, type] = {}


def _decode(data):
    """The inverse of _encode, run here: builds only numbers, arrays, tensors and containers."""
    if not isinstance(data, tuple):
        return data
    import numpy as np

    tag = data[0]
    if tag == "E":
        return Ellipsis
    if tag == "A":
        _, dtype, shape, raw = data
        return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
    if tag == "AO":
        _, shape, items = data
        out = np.empty(len(items), dtype=object)
        out[:] = [_decode(x) for x in items]
        return out.reshape(shape)
    if tag == "S":
        _, dtype, raw = data
        return np.frombuffer(raw, dtype=np.dtype(dtype))[0]
    if tag == "P":
        import torch

        return torch.from_numpy(_decode(data[1]))
    if tag == "T":
        return tuple(_decode(x) for x in data[1])
    if tag == "L":
        return [_decode(x) for x in data[1]]
    if tag == "D":
        return {_hashable(_decode(k)): _decode(v) for k, v in data[1]}
    if tag == "O":
        _, name, text = data
        cls = _OPAQUE.get(name)
        if cls is None:  # a stand-in with the answer's type name, for the hints
            cls = _OPAQUE[name] = type(str(name), (), {"__repr__": lambda self: self._text})
        obj = cls()
        obj._text = text or f"<{name}>"
        return obj
    raise ValueError(f"unknown value tag {tag!r}")


def _hashable(key):
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)


_EXCEPTIONS: dict[tuple[str, str], type] = {}


def _rebuild_exception(name: str, base: str, message: str) -> BaseException:
    """The answer's exception, as an exception of the same name and builtin kind."""
    cls = getattr(builtins, base, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = Exception
    if not issubclass(cls, Exception) and cls is not KeyboardInterrupt:
        cls = Exception  # SystemExit and friends must not stop the grader
    if name != cls.__name__:
        key = (name, cls.__name__)
        if key not in _EXCEPTIONS:
            _EXCEPTIONS[key] = type(str(name), (cls,), {"__module__": "builtins"})
        cls = _EXCEPTIONS[key]
    try:
        return cls(message)
    except Exception:
        return Exception(message)


# =========================================================================== the runner
def _runner_main() -> None:  # pragma: no cover - runs in the child process
    """Run a notebook's cells and then call its answers on request (the child's side)."""
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # the notebook reads nothing and prints into nothing
    os.dup2(devnull, 1)
    sys.stdin = open(os.devnull)
    sys.stdout = open(os.devnull, "w")

    def recv():
        head = proto_in.read(8)
        if len(head) < 8:
            os._exit(0)
        return pickle.loads(proto_in.read(struct.unpack("!Q", head)[0]))

    def send(message):
        _send(proto_out, message)

    sys.path.insert(0, str(PACKAGE_ROOT))
    import helpers.grading as grading

    answers: dict[str, object] = {}

    def record(question_id, answer, *args, **kwargs):
        """The notebook's check(): record the answer; the grader grades it afterwards."""
        answers[str(question_id)] = answer
        return Result(str(question_id), False, "recorded: graded after the notebook has run", "recorded")

    grading.check = record
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # %matplotlib inline and friends: no windows here
            pass

    shell = Shell.instance(config=config)
    namespace = shell.user_ns

    class CellTimeout(BaseException):
        pass

    active = {"cell": None}

    def alarm(signum, frame):
        # Raise only while the cell's own code (or code it called) runs; fires again every
        # 0.1 s, so an `except BaseException` in the cell cannot swallow it for good.
        f = frame
        while f is not None:
            if f.f_code.co_filename == active["cell"]:
                raise CellTimeout()
            f = f.f_back

    signal.signal(signal.SIGALRM, alarm)
    _, cells, skip, timeout = recv()
    for number, source in cells:
        if number in skip:
            send(("cell", number, "skipped", ""))
            continue
        send(("cell", number, "start", ""))
        status, message = "ok", ""
        filename = f"<code cell {number}>"
        try:
            code = compile(shell.transform_cell(source), filename, "exec")
        except SyntaxError as exc:
            send(("cell", number, "error", f"SyntaxError: {exc.msg} (line {exc.lineno})"))
            continue
        except Exception as exc:
            send(("cell", number, "error", f"{type(exc).__name__}: {_first_line(exc)}"))
            continue
        active["cell"] = filename
        signal.setitimer(signal.ITIMER_REAL, timeout, 0.1)
        try:
            exec(code, namespace)
        except CellTimeout:
            status, message = "stopped", f"stopped after {timeout:g} s"
        except BaseException as exc:  # the notebook's error: note it, run on
            status, message = "error", f"{type(exc).__name__}: {_first_line(exc)}"[:200]
        finally:
            active["cell"] = None
            signal.setitimer(signal.ITIMER_REAL, 0)
        send(("cell", number, status, message))

    described = {}
    for qid, answer in answers.items():
        try:
            if callable(answer):
                described[qid] = ("callable", type(answer).__name__, _provenance(answer))
            else:
                described[qid] = ("value", _encode(answer), _provenance(answer))
        except Exception:
            described[qid] = ("value", ("O", type(answer).__name__, ""), [])
    send(("answers", described))

    while True:
        message = recv()
        if message[0] != "call":
            os._exit(0)
        _, qid, args, kwargs = message
        try:
            result = answers[qid](*args, **kwargs)
            reply = ("ok", _encode(result))
        except BaseException as exc:  # the answer's exception goes back by name and kind
            base = next((c.__name__ for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c), "Exception")
            reply = ("raise", type(exc).__name__, base, str(exc)[:500])
        try:
            send(reply)
        except Exception:
            send(("raise", "TypeError", "TypeError", "the answer returned something that cannot be graded"))


def _provenance(obj, seen=None, depth: int = 0) -> list[str]:
    """Dotted names of the ``helpers`` code an answer is or reaches (run in the runner):
    the object's own module, and what the notebook's functions read and call."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6:
        return []
    seen.add(id(obj))
    if isinstance(obj, types.ModuleType):
        return [obj.__name__] if obj.__name__.startswith("helpers") else []
    found = []
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and module.startswith("helpers"):
        found.append(f"{module}.{getattr(obj, '__qualname__', type(obj).__name__)}")
    if isinstance(obj, types.MethodType):
        return found + _provenance(obj.__func__, seen, depth + 1)
    func = getattr(obj, "func", None)  # functools.partial
    if func is not None and not isinstance(obj, types.FunctionType):
        return found + _provenance(func, seen, depth + 1)
    if not isinstance(obj, types.FunctionType):
        call = getattr(type(obj), "__call__", None)
        return found + (_provenance(call, seen, depth + 1) if isinstance(call, types.FunctionType) else [])
    if module not in ("__main__", None) and not str(module).startswith("helpers"):
        return found  # a library's function: not the notebook's code
    codes, stack = [], [obj.__code__]
    while stack:
        code = stack.pop()
        codes.append(code)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    names = {name for code in codes for name in code.co_names}
    for name in names:
        if name.startswith("helpers"):
            found.append(name)  # an import inside the function
        value = obj.__globals__.get(name)
        if isinstance(value, types.ModuleType):
            if value.__name__.startswith("helpers"):
                found.append(value.__name__)
                found += [f"{value.__name__}.{attr}" for attr in names if hasattr(value, attr)]
        elif value is not None and (callable(value) or isinstance(value, type)):
            found += _provenance(value, seen, depth + 1)
    for cell in obj.__closure__ or ():
        try:
            found += _provenance(cell.cell_contents, seen, depth + 1)
        except ValueError:  # an empty cell
            pass
    return found


class _Runner:
    """The grader's side of one runner process."""

    def __init__(self, path: Path, cells: list[tuple[int, str]], cell_timeout: float):
        self.path, self.cells, self.cell_timeout = path, cells, cell_timeout
        self.proc: subprocess.Popen | None = None
        self.answers: dict[str, tuple] = {}
        self.statuses: dict[int, tuple[str, str]] = {}
        self.lost = ""  # why the last recv failed: timeout, exited, garbled

    # ------------------------------------------------------------------ process
    def start(self, skip: set[int]) -> int | None:
        """Run the notebook, skipping ``skip``; return the number of a cell the runner had
        to be killed in (it will not stop), or None once the answers are recorded."""
        env = {k: v for k, v in os.environ.items() if k != LOG_ENV}
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["MPLBACKEND"] = "Agg"
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        code = "from helpers.grading.__main__ import _runner_main; _runner_main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=str(self.path.parent.resolve()), env=env,
        )
        self.statuses, self.answers = {}, {}
        self.send(("run", self.cells, set(skip), self.cell_timeout))
        started = None
        while True:
            wait = 120.0 if started is None else self.cell_timeout + GRACE
            try:
                message = self.recv(wait)
            except _RunnerLost:
                if started is None:
                    raise NotebookError("the grader's Python process did not start (is helpers installed?)")
                self.kill()
                return started
            try:
                if message[0] == "answers":
                    self.answers = {str(k): v for k, v in dict(message[1]).items()}
                    return None
                _, number, status, text = message
                number, status, text = int(number), str(status), str(text)[:300]
            except Exception:  # not what a runner says: the notebook tampered with it
                raise NotebookError("the notebook's process sent garbled messages") from None
            if status == "start":
                started = number
            else:
                self.statuses[number] = (status, text)
                started = None

    def send(self, message) -> None:
        try:
            _send(self.proc.stdin, message)
        except (BrokenPipeError, OSError, ValueError, AttributeError):
            raise _RunnerLost() from None

    def recv(self, timeout: float):
        """The runner's next message; _RunnerLost if it exits or says nothing in ``timeout``."""
        if self.proc is None:
            raise _RunnerLost()
        stream = self.proc.stdout
        deadline = time.monotonic() + timeout
        chunks, need, header = [], 8, True
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([stream], [], [], max(left, 0))
            if not ready:
                self.lost = "timeout"
                raise _RunnerLost()
            chunk = os.read(stream.fileno(), min(need, 1 << 20))
            if not chunk:
                self.lost = "exited"
                raise _RunnerLost()
            chunks.append(chunk)
            need -= len(chunk)
            if need == 0:
                data = b"".join(chunks)
                if header:
                    chunks, need, header = [], struct.unpack("!Q", data)[0], False
                    if need > MAX_MESSAGE:
                        self.lost = "garbled"
                        self.kill()
                        raise _RunnerLost()
                    if need == 0:
                        data = b""
                    else:
                        continue
                try:
                    return _SafeUnpickler(io.BytesIO(data)).load()
                except Exception:  # not plain data: the notebook tampered with the channel
                    self.lost = "garbled"
                    self.kill()
                    raise _RunnerLost() from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        self.proc = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class _RemoteAnswer:
    """A callable that runs the notebook's answer in the runner and returns its value here."""

    def __init__(self, runner: _Runner, qid: str, limit: float):
        self.runner, self.qid, self.limit = runner, qid, limit
        self.broken = False

    def __call__(self, *args, **kwargs):
        self.broken = True  # until a whole reply is in, the runner is busy or gone
        self.runner.send(("call", self.qid, args, kwargs))
        try:
            reply = self.runner.recv(self.limit)
        except _RunnerLost:
            if self.runner.lost == "timeout":  # still running after the question's whole time
                raise _TimeLimit() from None
            raise
        self.broken = False
        if reply[0] == "ok":
            return _decode(reply[1])
        raise _rebuild_exception(*reply[1:4])


# =========================================================================== grading
def grade_notebook(path: str | Path, timeout: float = CELL_TIMEOUT, chapter: int | None = None) -> dict:
    """Grade one notebook and return its report (see the module docstring).

    ``timeout``: seconds per cell.  A notebook that cannot be read gets a report with an
    ``error`` (one line) and no score.
    """
    path = Path(path)
    start = time.perf_counter()
    report = {"notebook": str(path), "chapter": chapter, "score": None, "max_score": None,
              "questions": [], "flags": [], "cells": {}, "error": None, "seconds": None}
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        report["error"] = str(exc)
        report["seconds"] = round(time.perf_counter() - start, 2)
        return report
    if chapter is None:
        chapter = _chapter_of(nb, path)
    report["chapter"] = chapter
    registry = _registry()
    expected = [qid for qid, info in questions().items() if info.chapter == chapter]
    code_cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            code_cells.append((len(code_cells) + 1, cell.source))
    scan = _Scan(code_cells)
    report["flags"] = scan.flags

    runner = _Runner(path, code_cells, timeout)
    skip: set[int] = set()
    killed: dict[int, str] = {}
    restarts = 0

    def run() -> None:
        nonlocal restarts
        while True:
            for number, (status, text) in runner.statuses.items():
                if status == "stopped" and number not in skip:  # it would only be stopped again
                    skip.add(number)
                    killed[number] = f"{text} (skipped when the notebook was run again)"
            stuck = runner.start(skip)
            if stuck is None:
                return
            skip.add(stuck)
            why = {"timeout": f"did not stop after {timeout:g} s, so the process was killed",
                   "exited": "the Python process exited in this cell (os._exit, a crash?)",
                   }.get(runner.lost, "the cell wrote into the grader's channel")
            killed[stuck] = f"{why}; the notebook was run again without it"
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise NotebookError("the notebook had to be stopped too many times")

    rows: dict[str, dict] = {}
    try:
        run()
        ids = expected + [qid for qid in runner.answers if qid not in expected]
        for qid in ids:
            rows[qid] = _grade_one(qid, registry, runner, scan, run_again=run)
    except NotebookError as exc:
        for qid in expected:
            rows.setdefault(qid, {"id": qid, "passed": False, "flagged": False,
                                  "message": f"not graded: {exc}"})
    finally:
        runner.kill()

    statuses = dict(runner.statuses)
    for number, text in killed.items():
        statuses[number] = ("stopped", text)
    report["cells"] = {
        "total": len(code_cells),
        "errors": [f"code cell {n}: {t}" for n, (s, t) in sorted(statuses.items()) if s == "error"],
        "stopped": [f"code cell {n}: {t}" for n, (s, t) in sorted(statuses.items()) if s in ("stopped",)],
    }
    report["questions"] = list(rows.values())
    counted = [r for r in report["questions"] if r["id"] in expected] if expected else report["questions"]
    report["score"] = sum(r["passed"] for r in counted)
    report["max_score"] = len(counted)
    report["seconds"] = round(time.perf_counter() - start, 2)
    return report


def _grade_one(qid: str, registry, runner: _Runner, scan: _Scan, run_again) -> dict:
    row = {"id": qid, "passed": False, "flagged": False, "message": ""}
    if qid not in registry:
        near = [k for k in registry if k.split(".")[0] == qid.split(".")[0]]
        row["message"] = "unknown question id" + (f"; known ids here: {', '.join(near)}" if near else "")
        return row
    if not runner.alive:  # killed while grading an earlier answer: run the notebook again
        run_again()
    described = runner.answers.get(qid)
    if described is None:
        row["message"] = "not attempted: no check ran for this question"
        return row
    try:
        kind, payload, provenance = described
        uses = sorted({name for name in provenance if isinstance(name, str) and is_reference(name)})
        answer = None if kind == "callable" else _decode(payload)
    except Exception:  # the runner's description makes no sense: nothing to grade
        row["message"] = "the answer could not be read back from the notebook's process"
        return row
    if uses or scan.flagged(qid):
        row["flagged"] = True
        what = ", ".join(uses) if uses else "the book's reference code"
        row["message"] = (f"flagged: the answer uses {what}, the book's own code; "
                          "the exercises ask for your own")
        return row
    q = registry[qid]
    if kind == "callable":
        answer = _RemoteAnswer(runner, qid, q.timeout + GRACE)
    try:
        status, message = evaluate(q, answer)
    except _RunnerLost:
        status, message = "failed", "the answer stopped the Python process (os._exit, a crash, or out of memory?)"
    if isinstance(answer, _RemoteAnswer) and answer.broken:
        runner.kill()  # busy with the stopped call, or gone: the next answer gets a fresh run
    row["passed"] = status == "passed"
    row["message"] = message
    return row


# =========================================================================== output
def _table(report: dict) -> str:
    lines = [report["notebook"]]
    if report["error"]:
        lines.append(f"error: {report['error']}")
        return "\n".join(lines)
    width = max([len(q["id"]) for q in report["questions"]] + [8])
    lines += [f"{'question':<{width}}  result  message", "-" * (width + 40)]
    for q in report["questions"]:
        result = "FLAG" if q.get("flagged") else ("pass" if q["passed"] else "FAIL")
        lines.append(f"{q['id']:<{width}}  {result:<6}  {q['message']}")
    lines.append("-" * (width + 40))
    for text in report["cells"].get("stopped", []):
        lines.append(f"stopped: {text}")
    for text in report["cells"].get("errors", []):
        lines.append(f"raised: {text}")
    for text in report["flags"]:
        lines.append(f"flag: {text}")
    lines.append(f"score: {report['score']} / {report['max_score']}")
    return "\n".join(lines)


def student_names(paths: list[str]) -> list[str]:
    """A short name per notebook: the file name, or the path where file names repeat."""
    stems = [Path(p).stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    parts = [Path(p).resolve().with_suffix("").parts for p in paths]
    common = 0
    while all(len(p) > common + 1 for p in parts) and len({p[common] for p in parts}) == 1:
        common += 1
    return ["/".join(p[common:]) for p in parts]


def _note(report: dict) -> str:
    if report["error"]:
        return f"error: {report['error']}"
    notes = []
    if report["chapter"] is None:
        notes.append("chapter unknown: give --chapter")
    flagged = [q["id"] for q in report["questions"] if q.get("flagged")]
    if flagged:
        notes.append(f"flagged: {', '.join(flagged)}")
    stopped = report["cells"].get("stopped", [])
    if stopped:
        notes.append(f"{len(stopped)} cell{'s' * (len(stopped) > 1)} stopped")
    return "; ".join(notes)


def summary(reports: list[dict]) -> str:
    names = student_names([r["notebook"] for r in reports])
    width = max([len(n) for n in names] + [7])
    lines = [f"class summary: {len(reports)} notebook{'s' * (len(reports) != 1)}",
             f"{'student':<{width}}  {'score':>7}  notes"]
    for name, r in zip(names, reports):
        score = "-" if r["error"] else f"{r['score']}/{r['max_score']}"
        lines.append(f"{name:<{width}}  {score:>7}  {_note(r)}".rstrip())
    return "\n".join(lines)


def summary_csv(reports: list[dict]) -> str:
    names = student_names([r["notebook"] for r in reports])
    qids: list[str] = []
    for r in reports:
        qids += [q["id"] for q in r["questions"] if q["id"] not in qids]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "notebook", "chapter", "score", "max_score", *qids, "notes", "seconds"])
    for name, r in zip(names, reports):
        by_id = {q["id"]: q for q in r["questions"]}
        cells = []
        for qid in qids:
            q = by_id.get(qid)
            cells.append("" if q is None else "flagged" if q.get("flagged") else int(q["passed"]))
        writer.writerow([name, r["notebook"], r["chapter"] if r["chapter"] is not None else "",
                         "" if r["error"] else r["score"], "" if r["error"] else r["max_score"],
                         *cells, _note(r), r["seconds"]])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.grading", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                        help="filled-in exercise notebook(s) (.ipynb); several, e.g. a class's submissions")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="print the reports as JSON (a list when several notebooks are given)")
    output.add_argument("--csv", action="store_true",
                        help="print the class summary as CSV: one row per student, a column per question")
    output.add_argument("--summary", action="store_true", help="print only the class summary")
    parser.add_argument("--timeout", type=float, default=CELL_TIMEOUT,
                        help=f"seconds a notebook cell may run before it is stopped (default {CELL_TIMEOUT})")
    parser.add_argument("--chapter", type=int, default=None,
                        help="grade against this chapter's questions (default: from the notebook)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    reports = []
    try:
        for notebook in args.notebooks:
            report = grade_notebook(notebook, timeout=args.timeout, chapter=args.chapter)
            if report["error"]:
                print(f"error: could not grade {notebook}: {report['error']}", file=sys.stderr)
            reports.append(report)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.json:
        payload = reports[0] if len(reports) == 1 else reports
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    elif args.csv:
        print(summary_csv(reports), end="")
    elif args.summary:
        print(summary(reports))
    else:
        blocks = [_table(r) for r in reports]
        if len(reports) > 1:
            blocks.append(summary(reports))
        print("\n\n".join(blocks))
    return 2 if any(r["error"] for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
