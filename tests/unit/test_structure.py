"""The code's shape, as the developers' guide wants it: no import cycle among the project's
modules, no module over 400 lines. (Lines within 100 columns: the linter, ruff, which
`make test` runs first.)"""
import ast
import os

from tests.conftest import ROOT

PACKAGES = ("apps", "bench", "cloud", "controller", "flows", "mininet_topos", "tests")
MAX_LINES = 400


def modules() -> dict[str, str]:
    """module name -> path, for every Python file of the project."""
    out = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    out[rel.removesuffix(".__init__")] = path
    return out


def imports(path: str, known: set[str]) -> set[str]:
    """The project modules a file imports at its top level or in a function (any import
    makes a dependency; a cycle through a function-level import is still a cycle)."""
    tree = ast.parse(open(path).read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known}
    return found


def test_no_import_cycle():
    mods = modules()
    graph = {m: imports(p, set(mods)) - {m} for m, p in mods.items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node):] + [node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        done.add(node)
    for module in sorted(graph):
        visit(module, [])


def test_no_module_over_400_lines():
    long = {m: n for m, p in modules().items() if (n := sum(1 for _ in open(p))) > MAX_LINES}
    assert not long, long
