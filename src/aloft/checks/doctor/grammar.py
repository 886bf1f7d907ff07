"""Parse code written for a newer Python than the one doctor runs on, so it is analysed, not
reported as broken.

Doctor runs on its own interpreter (3.11 and up); a project may use 3.12-3.14 syntax (PEP 695 type
parameters, PEP 701 f-strings, PEP 758 `except A, B:`, PEP 750 t-strings). Files our parser
rejects are parsed again, in one batch, by the newest interpreter the project admits (its own
`.venv`, `pythonX.Y` on PATH, pyenv's versions); the tree comes back as flat JSON and is rebuilt
with this Python's node classes (`type X = ...` becomes an assignment, a t-string an f-string).
Grammar newer than every interpreter found (3.14's) is lowered to its older spelling when that is
exact. Only code that no admitted interpreter accepts is a syntax error; code that needs a Python
we do not have is listed as not analysed, never called broken.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import itertools
import json
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

Version = tuple[int, int]
PARSE_TIMEOUT = 120.0

# Run by the other interpreter: stdlib only, any Python 3.8+. Reads [[rel, text], ...] on stdin,
# writes one result per file: {"nodes": [...]} (a flat, index-linked tree) or {"error": [...]}.
_DUMP = r"""
import ast, json, sys
def dump(tree):
    index, order, stack = {}, [], [tree]
    while stack:
        node = stack.pop()
        if id(node) in index:
            continue
        index[id(node)] = len(order)
        order.append(node)
        for _, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
    def enc(value):
        if isinstance(value, ast.AST):
            return {"$": index[id(value)]}
        if isinstance(value, list):
            return [enc(v) for v in value]
        if value is Ellipsis:
            return {"...": 1}
        if isinstance(value, bytes):
            return {"b": value.decode("latin-1")}
        if isinstance(value, complex):
            return {"j": [value.real, value.imag]}
        if isinstance(value, float) and (value != value or value in (float("inf"), -float("inf"))):
            return {"f": repr(value)}
        return value
    out = []
    for node in order:
        item = {"_": type(node).__name__}
        for name, value in ast.iter_fields(node):
            item[name] = enc(value)
        for name in node._attributes:
            item[name] = getattr(node, name, None)
        out.append(item)
    return out
results = []
for rel, text in json.load(sys.stdin):
    try:
        results.append({"nodes": dump(ast.parse(text, filename=rel))})
    except SyntaxError as exc:
        results.append({"error": [exc.msg, exc.lineno or 1, exc.offset or 1]})
    except (ValueError, RecursionError, MemoryError) as exc:
        results.append({"error": [str(exc) or type(exc).__name__, 1, 1]})
json.dump(results, sys.stdout)
"""


@dataclasses.dataclass(frozen=True)
class Interpreter:
    path: str
    version: Version

    @property
    def label(self) -> str:
        return f"Python {self.version[0]}.{self.version[1]}"


@dataclasses.dataclass(frozen=True)
class Parsed:
    tree: ast.Module
    # The text the tree was parsed from (lowered newer grammar differs from the file).
    text: str
    by: str


@dataclasses.dataclass(frozen=True)
class Broken:
    message: str
    line: int
    column: int
    by: str


@dataclasses.dataclass(frozen=True)
class Unchecked:
    """Could not be parsed by any Python found; maybe valid in one that requires-python admits."""

    reason: str


Outcome = Parsed | Broken | Unchecked


# ---- requires-python ----------------------------------------------------------------------------

_CLAUSE = re.compile(r"^\s*(~=|===|==|!=|<=|>=|<|>)\s*(\d+)(?:\.(\d+|\*))?(?:\.[\d*]+)*\s*$")


def admits(requires: str, version: Version) -> bool:
    """Whether a `requires-python` specifier admits Python X.Y (its latest patch release)."""
    for clause in filter(None, (c.strip() for c in requires.split(","))):
        match = _CLAUSE.match(clause)
        if match is None:
            continue  # a shape we do not read; do not let it exclude interpreters
        op, major_text, minor_text = match.groups()
        bound: Version = (int(major_text), 0 if minor_text in (None, "*") else int(minor_text))
        wildcard = minor_text == "*" or clause.rstrip().endswith(".*")
        ok = {
            ">=": version >= bound,
            ">": version > bound or (version == bound and _has_patch(clause)),
            "<=": version <= bound,
            "<": version < bound,
            "==": version == bound or (wildcard and version[0] == bound[0] and minor_text == "*"),
            "===": version == bound,
            "!=": version != bound or _has_patch(clause),
            "~=": version >= bound
            and (version[0] == bound[0] if clause.count(".") == 1 else version == bound),
        }[op]
        if not ok:
            return False
    return True


def _has_patch(clause: str) -> bool:
    return bool(re.search(r"\d+\.\d+\.\d+", clause))


def requires_python(root: Path) -> str:
    """The `[project] requires-python` of the pyproject.toml at or above `root`, or ""."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    for folder in (root, *root.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return ""
            return str(data.get("project", {}).get("requires-python", ""))
    return ""


# ---- interpreters -------------------------------------------------------------------------------


def find_interpreters(root: Path) -> list[Interpreter]:
    """Pythons on this machine, newest first, as `aloft.pythons` (the one owner of which
    interpreters there are) finds them: the project's virtualenv first, then pyenv's, the
    system's and uv's."""
    from aloft import pythons

    return [
        Interpreter(str(path), (int(version.split(".")[0]), int(version.split(".")[1])))
        for version, path in pythons.available_interpreters(root)
    ]


# ---- parsing ------------------------------------------------------------------------------------


class NewerGrammar:
    """Parses, in batches, the files this Python rejected."""

    def __init__(self, root: Path, interpreters: Sequence[Interpreter] | None = None) -> None:
        self.requires = requires_python(root)
        found = list(interpreters) if interpreters is not None else None
        self._interpreters = found
        self._root = root

    @property
    def interpreter(self) -> Interpreter | None:
        """The newest interpreter newer than ours that requires-python admits (else the newest
        one newer than ours)."""
        if self._interpreters is None:
            self._interpreters = find_interpreters(self._root)
        ours = sys.version_info[:2]
        newer = [i for i in self._interpreters if i.version > ours]
        admitted = [i for i in newer if admits(self.requires, i.version)]
        best = admitted or newer
        return best[0] if best else None

    def parse(self, files: Iterable[tuple[str, str]]) -> dict[str, Outcome]:
        pending = dict(files)
        outcomes: dict[str, Outcome] = {}
        errors: dict[str, tuple[str, int, int]] = {}
        interpreter = self.interpreter
        by = interpreter.label if interpreter else _our_label()
        if interpreter is not None:
            results_first, by = self._run(interpreter, pending)
            for rel, result in results_first.items():
                if isinstance(result, ast.Module):
                    outcomes[rel] = Parsed(result, pending[rel], by)
                else:
                    errors[rel] = result
        else:
            errors = {rel: _local_error(text) for rel, text in pending.items()}
        # Grammar newer than the interpreter: lower it to its exact older spelling and retry.
        lowered = {rel: lower(pending[rel]) for rel in errors}
        retry = {rel: text for rel, text in lowered.items() if text != pending[rel]}
        if retry:
            if interpreter is not None:
                results, by = self._run(interpreter, retry)
            else:
                results = {rel: _local_parse(text) for rel, text in retry.items()}
            for rel, result in results.items():
                if isinstance(result, ast.Module):
                    outcomes[rel] = Parsed(result, retry[rel], by)
                    errors.pop(rel)
        best = (
            interpreter.version if interpreter and by == interpreter.label else sys.version_info[:2]
        )
        for rel, (message, line, column) in errors.items():
            if self._could_be_newer(best):
                outcomes[rel] = Unchecked(
                    f"not analysed: {by} cannot parse it ({message}, line {line}) and"
                    f" requires-python {self.requires!r} admits only newer Pythons, none found"
                    " here; install one (pyenv, uv python install) to analyse it"
                )
            else:
                outcomes[rel] = Broken(message, line, column, by)
        return outcomes

    def _could_be_newer(self, best: Version) -> bool:
        """Whether every Python the project admits is newer than `best`: then `best` failing
        proves nothing. Otherwise `best` is a Python the project claims to run on, and code it
        cannot parse (after lowering newer grammar) is broken there."""
        admitted = [(3, minor) for minor in range(40) if admits(self.requires, (3, minor))]
        return bool(admitted) and admitted[0] > best

    def _run(
        self, interpreter: Interpreter, files: dict[str, str]
    ) -> tuple[dict[str, ast.Module | tuple[str, int, int]], str]:
        """Parse `files` with `interpreter`; if it cannot run, with ours (and say so)."""
        try:
            done = subprocess.run(
                [interpreter.path, "-I", "-c", _DUMP],
                input=json.dumps(list(files.items())),
                capture_output=True,
                text=True,
                timeout=PARSE_TIMEOUT,
                check=False,
            )
            results = json.loads(done.stdout) if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError, ValueError):
            results = None
        if not isinstance(results, list) or len(results) != len(files):
            return {rel: _local_parse(text) for rel, text in files.items()}, _our_label()
        out: dict[str, ast.Module | tuple[str, int, int]] = {}
        for rel, result in zip(files, results, strict=True):
            if "nodes" in result:
                out[rel] = load(result["nodes"])
            else:
                message, line, column = result["error"]
                out[rel] = (str(message), int(line), int(column))
        return out, interpreter.label


def _our_label() -> str:
    return f"Python {sys.version_info[0]}.{sys.version_info[1]}"


def _local_parse(text: str) -> ast.Module | tuple[str, int, int]:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        return exc.msg, exc.lineno or 1, exc.offset or 1
    except (ValueError, RecursionError, MemoryError) as exc:
        return str(exc) or type(exc).__name__, 1, 1


def _local_error(text: str) -> tuple[str, int, int]:
    result = _local_parse(text)
    return result if isinstance(result, tuple) else ("", 1, 1)


# ---- lowering 3.14 grammar ----------------------------------------------------------------------

# PEP 758: `except A, B:` (no `as`) means exactly `except (A, B):`. Before 3.14 it is an error,
# so rewriting every such line cannot change valid code. Columns before the colon are kept.
_BARE_EXCEPT_LIST = re.compile(
    r"^(?P<head>[ \t]*except\*?)(?P<space>[ \t]+)(?P<types>[^(#:\n][^#:\n]*,[^#:\n]*?)[ \t]*:"
    r"(?P<tail>[ \t]*(#.*)?)$",
    re.MULTILINE,
)


def lower(text: str) -> str:
    """3.14 spellings rewritten to their exact older equivalent (same lines, same columns up to
    the rewritten spot): `except A, B:` and t-strings (as f-strings: same expressions)."""
    text = _BARE_EXCEPT_LIST.sub(
        lambda m: (
            m.group(0)
            if " as " in m.group("types")
            else f"{m.group('head')}{m.group('space')}({m.group('types')}):{m.group('tail')}"
        ),
        text,
    )
    return _lower_t_strings(text)


def _lower_t_strings(text: str) -> str:
    """A NAME token `t`/`tr`/`rt` glued to a string token is a t-string prefix before 3.14."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for first, second in itertools.pairwise(tokens):
        if (
            first.type == tokenize.NAME
            and first.string.lower() in ("t", "tr", "rt")
            and second.type == tokenize.STRING
            and first.end == second.start
        ):
            row, col = first.start
            edits.append((row, col, first.string.replace("t", "f").replace("T", "F")))
    for row, col, new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[col + len(new) :]
    return "".join(lines)


# ---- rebuilding the tree ------------------------------------------------------------------------


class _Unknown(ast.AST):
    """A node type this Python lacks (a type parameter); kept so its children stay reachable."""

    _fields = ()


def load(nodes: list[dict[str, Any]]) -> ast.Module:
    """Rebuild a tree dumped by another interpreter with this Python's node classes."""
    built: list[ast.AST] = []
    for item in nodes:
        kind = item["_"]
        cls = _CONVERT.get(kind, kind)
        node_class = getattr(ast, cls, None)
        if isinstance(node_class, type) and issubclass(node_class, ast.AST):
            built.append(node_class.__new__(node_class))
        else:
            built.append(_Unknown())

    def dec(value: Any) -> Any:
        if isinstance(value, list):
            return [dec(v) for v in value]
        if isinstance(value, dict):
            if "$" in value:
                return built[value["$"]]
            if "..." in value:
                return ...
            if "b" in value:
                return str(value["b"]).encode("latin-1")
            if "j" in value:
                return complex(*value["j"])
            if "f" in value:
                return float(value["f"])
        return value

    for node, item in zip(built, nodes, strict=True):
        fields = {k: dec(v) for k, v in item.items() if k != "_"}
        kind = item["_"]
        if kind == "TypeAlias":  # `type X = v` binds X like `X = v`
            fields = {
                "targets": [fields["name"]],
                "value": fields["value"],
                "type_comment": None,
                **{
                    k: fields.get(k)
                    for k in ("lineno", "col_offset", "end_lineno", "end_col_offset")
                },
            }
        elif kind == "Interpolation":  # t-string part -> f-string part
            fields = {k: v for k, v in fields.items() if k != "str"}
        if isinstance(node, _Unknown):
            children = tuple(k for k, v in fields.items() if isinstance(v, (ast.AST, list)))
            setattr(node, "_fields", children)  # noqa: B010 - per node, not the class
        for name, value in fields.items():
            setattr(node, name, value)
    module = built[0]
    if not isinstance(module, ast.Module):
        raise ValueError("the dumped tree is not a module")
    return module


_CONVERT = {"TypeAlias": "Assign", "TemplateStr": "JoinedStr", "Interpolation": "FormattedValue"}
