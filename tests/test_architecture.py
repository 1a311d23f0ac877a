"""The package's layering, read from the source with ``ast`` (nothing is imported).

- Packages talk through their public interface: no file imports another package's private
  ``_module`` (``from safetylab.judges import build_judges``, never ``...judges._spec``).
  A package's own modules, and subpackages of the package that owns a private top-level
  module (``safetylab._yaml`` for every ``safetylab.*``), may.
- No import cycle at module level, between modules or between top-level packages. Importing
  ``a.b.c`` runs ``a.b`` first, and a package whose ``__init__`` calls ``_import_submodules``
  imports all its modules: both count as edges.
- Imports inside functions (lazy, for start-up time) are counted apart: the package-level cycles
  they close are listed in ``LAZY_CYCLES`` with the reason each one stays (none today; there
  were 8 before issue 15); a new one fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "safetylab"

#: Package-level cycles closed only by an import inside a function, and why each is kept.
LAZY_CYCLES: dict[tuple[str, ...], str] = {}


def _modules(src: Path = SRC) -> dict[str, tuple[Path, bool]]:
    out = {}
    for p in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(p.relative_to(src).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return out


def _edges(mods: dict[str, tuple[Path, bool]]) -> list[tuple[str, str, bool, int]]:
    """(importer, imported module, lazy, line) for every import of a safetylab module."""
    edges: list[tuple[str, str, bool, int]] = []
    for name, (path, is_pkg) in mods.items():
        here = name if is_pkg else name.rpartition(".")[0]

        def visit(node: ast.AST, lazy: bool, name: str = name, here: str = here) -> None:
            for ch in ast.iter_child_nodes(node):
                if isinstance(ch, ast.If) and "TYPE_CHECKING" in ast.unparse(ch.test):
                    continue  # annotations only, never run
                if isinstance(ch, ast.Import):
                    targets = [a.name for a in ch.names]
                elif isinstance(ch, ast.ImportFrom):
                    base = ch.module or ""
                    if ch.level:
                        up = here.split(".")[: len(here.split(".")) - (ch.level - 1)]
                        base = ".".join(up + ([base] if base else []))
                    # `from pkg import mod` imports the module; `from mod import name` the module
                    targets = [
                        f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in ch.names
                    ]
                else:
                    targets = []
                for t in targets:
                    if t == PACKAGE or t.startswith(PACKAGE + "."):
                        edges.append((name, t, lazy, ch.lineno))
                        parts = t.split(".")
                        for i in range(2, len(parts)):  # importing a.b.c runs a.b first
                            edges.append((name, ".".join(parts[:i]), lazy, ch.lineno))
                inner = isinstance(ch, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                visit(ch, lazy or inner)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
        if is_pkg and "_import_submodules(__name__" in path.read_text(encoding="utf-8"):
            depth = name.count(".") + 1
            for sub in mods:
                if sub.startswith(name + ".") and sub.count(".") == depth:
                    edges.append((name, sub, False, 0))
    return [e for e in edges if e[0] != e[1] and not e[0].startswith(e[1] + ".")]


def private_imports(src: Path = SRC) -> list[str]:
    """``importer:line -> module`` for each import of another package's private module."""
    mods = _modules(src)
    bad = set()
    for a, b, _lazy, line in _edges(mods):
        segs = b.split(".")
        for i, s in enumerate(segs):
            if s.startswith("_"):
                owner = ".".join(segs[:i])
                if a != owner and not a.startswith(owner + "."):
                    bad.add(f"{mods[a][0].relative_to(src)}:{line} -> {b}")
                break
    return sorted(bad)


def _unit(m: str) -> str:
    return ".".join(m.split(".")[:2])


def import_graphs(src: Path = SRC, *, lazy: bool) -> tuple[nx.DiGraph, nx.DiGraph]:
    """(module graph, top-level package graph); ``lazy`` adds imports inside functions."""
    modules, packages = nx.DiGraph(), nx.DiGraph()
    for a, b, is_lazy, _ in _edges(_modules(src)):
        if is_lazy and not lazy:
            continue
        modules.add_edge(a, b)
        if _unit(a) != _unit(b):
            packages.add_edge(_unit(a), _unit(b))
    return modules, packages


def cycles(g: nx.DiGraph) -> list[tuple[str, ...]]:
    """Each elementary cycle once, rotated to start at its smallest name."""
    out = set()
    for c in nx.simple_cycles(g):
        i = c.index(min(c))
        out.add(tuple(c[i:] + c[:i]))
    return sorted(out, key=lambda c: (len(c), c))


def test_no_package_imports_another_packages_private_module():
    assert private_imports() == []


def test_no_import_cycle_at_module_level():
    modules, packages = import_graphs(lazy=False)
    assert cycles(packages) == []
    assert cycles(modules) == []


def test_lazy_imports_close_only_the_listed_package_cycles():
    _, packages = import_graphs(lazy=True)
    found = cycles(packages)
    print("package cycles closed by imports inside functions:", found or "none")
    assert [c for c in found if c not in LAZY_CYCLES] == []


def test_train_modules_form_no_circle_even_lazily():
    modules, _ = import_graphs(lazy=True)
    train = modules.subgraph(m for m in modules if m.startswith("safetylab.train."))
    assert cycles(train) == []


def test_the_checks_catch_a_private_import_and_a_cycle(tmp_path):
    pkg = tmp_path / PACKAGE
    for sub in ("a", "b"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "_x.py").write_text("from safetylab.b._y import f\n")
    (pkg / "b" / "_y.py").write_text("def f():\n    import safetylab.a\n")
    assert private_imports(tmp_path) == [f"{Path('safetylab/a/_x.py')}:1 -> safetylab.b._y"]
    strict, _ = import_graphs(tmp_path, lazy=False)
    assert cycles(strict) == []
    _, lazy = import_graphs(tmp_path, lazy=True)
    assert cycles(lazy) == [("safetylab.a", "safetylab.b")]


def test_benchmark_scripts_use_only_the_public_api():
    """``benchmarks/*.py`` import no private module, and every name they import exists."""
    import importlib

    bad = []
    for path in sorted((SRC.parent / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(PACKAGE):
                continue
            where = f"{path.name}:{node.lineno}"
            if any(s.startswith("_") for s in node.module.split(".")):
                bad.append(f"{where} imports {node.module}")
                continue
            mod = importlib.import_module(node.module)
            bad += [
                f"{where}: {node.module}.{a.name}" for a in node.names if not hasattr(mod, a.name)
            ]
            bad += [f"{where} imports {a.name}" for a in node.names if a.name.startswith("_")]
    assert bad == []


#: The module size a newcomer can read in one sitting; a module that grows past it splits by
#: concept (as data/_public.py, judges/_refusal.py, pipeline/_sweep.py and train/_loop.py did).
MAX_MODULE_LINES = 500


def test_no_module_is_over_the_size_limit():
    sizes = {
        str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines())
        for p, _ in _modules().values()
    }
    assert len(sizes) > 100  # every module was read
    assert {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES} == {}
