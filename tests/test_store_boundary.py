"""The repository seam holds: only ``lcgraph/store/`` touches a pyoxigraph ``Store``.

Every other package reaches the data through the
:class:`lcgraph.store.repository.Repository` Protocol, so lcgraph runs the
same on its embedded store and on a remote SPARQL store. pyoxigraph *terms*
(``NamedNode``, ``Literal``, ``Quad``…) and its parsers/serialisers stay
usable everywhere. The check reads the source (AST), so a new raw use fails
here whatever it is called.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lcgraph

PACKAGE = Path(lcgraph.__file__).parent
STORE = PACKAGE / "store"

# Methods only a pyoxigraph Store has: calling one outside the store layer means a raw store leaked.
STORE_ONLY_METHODS = {
    "quads_for_pattern",
    "bulk_extend",
    "bulk_load",
    "backup",
    "contains_named_graph",
    "add_graph",
    "remove_graph",
    "clear_graph",
    "optimize",
}


def _violations(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    where = path.relative_to(root)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pyoxigraph":
            if any(alias.name == "Store" for alias in node.names):
                found.append(f"{where}:{node.lineno}: imports pyoxigraph.Store")
        elif isinstance(node, ast.Attribute):
            if (
                node.attr == "Store"
                and isinstance(node.value, ast.Name)
                and node.value.id in ("ox", "pyoxigraph")
            ):
                found.append(f"{where}:{node.lineno}: uses pyoxigraph.Store")
            elif node.attr == "_store":
                found.append(f"{where}:{node.lineno}: reaches into a repository's engine store (._store)")
            elif node.attr in STORE_ONLY_METHODS:
                found.append(f"{where}:{node.lineno}: calls the engine store's {node.attr}()")
    return found


def test_only_the_store_layer_touches_a_pyoxigraph_store() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if STORE not in p.parents]
    assert len(modules) > 50  # the walk really reads the package
    problems = [v for p in sorted(modules) for v in _violations(p)]
    assert problems == [], "\n".join(problems)


def test_the_check_catches_a_raw_store(tmp_path: Path) -> None:
    # The check must be able to fail: a module written the forbidden ways is reported each time.
    bad = tmp_path / "probe.py"
    bad.write_text(
        "import pyoxigraph as ox\nfrom pyoxigraph import Store\n"
        "s = ox.Store()\nds._store.update('')\nds.quads_for_pattern(None, None, None, None)\n",
        encoding="utf-8",
    )
    assert len(_violations(bad, tmp_path)) == 4
