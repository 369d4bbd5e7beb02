"""The import graph of lib/hubfleet (function-level imports included) keeps the layering rules.

core imports only core; adapters only core and adapters; local also adapters; app also local;
cli also app; testing anything shipped; nothing imports devtools or tests; no import cycles; the
optional extras' modules are imported inside functions only (a base install imports everything).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "lib" / "hubfleet"
LAYERS = ("core", "adapters", "local", "app", "cli", "testing")
ALLOWED = {layer: set(LAYERS[: i + 1]) for i, layer in enumerate(LAYERS)}
ALLOWED["testing"] = set(LAYERS)
EXTRAS = {"psutil", "jupyterhub", "jupyter_server", "ipykernel", "tornado", "traitlets", "idle_culler"}


def module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(LIB.rglob("*.py"))}


def imports(name: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import in module `name`."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = _runs_on_import(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((full if full in MODULES else base, node.lineno, id(node) in top))
    return out


def _runs_on_import(tree: ast.Module) -> set[int]:
    """ids of the statements that run when the module is imported (not in a function or class
    body that is only defined, not under `if TYPE_CHECKING:`)."""
    out: set[int] = set()

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            out.add(id(node))
            if isinstance(node, ast.If):
                typing_only = isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                if not typing_only:
                    walk(node.body)
                walk(node.orelse)
            elif isinstance(node, ast.Try):
                walk(node.body)
                for handler in node.handlers:
                    walk(handler.body)
                walk(node.orelse)
                walk(node.finalbody)

    walk(tree.body)
    return out


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "hubfleet" else None


def test_every_module_is_in_a_layer():
    loose = [m for m in MODULES if m != "hubfleet" and layer(m) not in LAYERS]
    assert loose == [], "modules outside core/adapters/local/app/cli/testing"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_follow_the_layers(name):
    own = layer(name)
    bad = []
    for target, line, _ in imports(name):
        root = target.split(".")[0]
        if root in ("devtools", "tests", "helpers"):
            bad.append(f"{name}:{line} imports {target} (not shipped)")
        elif root == "hubfleet" and own in ALLOWED and layer(target) not in ALLOWED[own] | {None}:
            bad.append(f"{name}:{line} ({own}) imports {target} ({layer(target)})")
    assert bad == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_optional_extras_are_imported_inside_functions(name):
    at_top = [
        f"{name}:{line} imports {t}" for t, line, top in imports(name) if top and t.split(".")[0] in EXTRAS
    ]
    assert at_top == []


def graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles():
    """The check can fail: a two-module and a three-module cycle are found, a chain is not."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}}) == [["a", "b"]]
    assert cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}}) == [["x", "y", "z"]]
    assert cycles({"p": {"q"}, "q": set()}) == []


def test_function_level_imports_count():
    """app.health imports local only inside a function, and the graph still sees the edge."""
    edges = [(t, top) for t, _, top in imports("hubfleet.app.health") if layer(t) == "local"]
    assert edges and not any(top for _, top in edges)
