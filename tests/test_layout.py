"""The house stays legible: one package per stage of the flow, imports only downwards, no circles,
no file past 600 lines, and a package's ``__init__.py`` is its face.

Read from the source with ``ast``: every ``import`` counts, those inside functions and under
``TYPE_CHECKING`` included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "rightsindex"

# The stages from the bottom up: a module may import its own stage and the ones before it.
LAYERS = ("methodology", "store", "scoring", "formats", "corpus", "evidence", "review", "timeline", "publish", "run", "web", "cli")
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The modules of this package that ``name`` imports (a package's face when it imports the
    package, the submodule when it imports one by name)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_stage_is_a_known_layer():
    stages = {_stage(m) for m in MODULES} - {None, "__main__"}
    assert stages == set(LAYERS), f"a package or module outside the stages: {sorted(stages - set(LAYERS))}"


def test_no_circle_between_files():
    assert _cycles(GRAPH) == []


def test_no_circle_between_stages():
    stages: dict[str, set[str]] = {}
    for a, targets in GRAPH.items():
        for b in targets:
            sa, sb = _stage(a), _stage(b)
            if sa and sb and sa != sb:
                stages.setdefault(sa, set()).add(sb)
    assert _cycles(stages) == []


def test_imports_point_only_downwards():
    climbs = []
    for a, targets in GRAPH.items():
        sa = _stage(a)
        for b in targets:
            sb = _stage(b)
            if sa in LAYERS and sb in LAYERS and LAYERS.index(sb) > LAYERS.index(sa):
                climbs.append(f"{a} -> {b}")
    assert climbs == []


def test_no_source_file_past_600_lines():
    long = {str(p.relative_to(SRC)): n for p in MODULES.values() if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("package", sorted(n for n, p in MODULES.items() if p.name == "__init__.py" and n != "rightsindex"))
def test_a_package_init_is_its_face(package):
    """A docstring that says what the stage does, imports and ``__all__``: no logic."""
    tree = ast.parse(MODULES[package].read_text("utf-8"))
    assert ast.get_docstring(tree), f"{package}: no docstring"
    logic = [type(n).__name__ for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    assert logic == [], f"{package}/__init__.py defines {logic}: move it into a module named for its job"
    names = [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    assert "__all__" in names, f"{package}: no __all__"


def test_the_checker_sees_a_circle(tmp_path):
    """The graph reader finds imports inside functions and relative ones: two modules that import
    each other, one at the top and one inside a function, make a circle."""
    graph = {"rightsindex.a": {"rightsindex.b"}, "rightsindex.b": {"rightsindex.a"}, "rightsindex.c": {"rightsindex.a"}}
    assert _cycles(graph) == [["rightsindex.a", "rightsindex.b"]]
    inner = _imports("rightsindex.run.assessment", MODULES["rightsindex.run.assessment"])
    assert "rightsindex.evidence.judge" in inner  # imported inside assess_company


def test_a_face_never_hides_a_module_of_its_package():
    """``from rightsindex.corpus import extract`` must mean one thing: a face exports no name that
    is also the name of one of its package's modules (a package's own ``models`` aside)."""
    clashes = {}
    for name, path in MODULES.items():
        if path.name != "__init__.py" or name == "rightsindex":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        exported = {
            elt.value
            for n in tree.body if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
            for elt in ast.walk(n.value) if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
        }
        submodules = {m.rsplit(".", 1)[1] for m in MODULES if m.rsplit(".", 1)[0] == name}
        hidden = {n for n in exported & submodules if f"{name}.{n}" != "rightsindex.store.models"}
        if hidden:
            clashes[name] = sorted(hidden)
    assert clashes == {}
