"""Both packages keep the house rules: no import loop, no imports inside functions
(except optional heavy dependencies), no use of another module's private
(underscore) names, small files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("model", "experiments")
# optional heavy dependencies may be imported where they are used, so the core stays light
LAZY_OK = {"pyabc", "SALib", "sklearn", "distributed", "dask"}
# public despite the underscore (documented stdlib API)
PUBLIC_UNDERSCORE = {"_exit"}


def modules(package: str) -> dict[str, ast.Module]:
    out = {}
    root = ROOT / package
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(ROOT)
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def model_imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    is_package = name + ".__init__" in known or any(k.startswith(name + ".") for k in known)
    deps = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            target = resolve(name, node, is_package)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                deps.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            deps |= {a.name for a in node.names}
    return {d for d in deps if d in known and d != name}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_loop(package):
    mods = modules(package)
    known = set(mods)
    graph = {name: model_imports(name, tree, known) for name, tree in mods.items()}
    # a package importing its own submodules is its re-export, not a loop edge back
    for name in graph:
        graph[name] = {d for d in graph[name] if not name.startswith(d + ".")}
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for d in graph[n]:
            if state.get(d) == 1:
                raise AssertionError("import loop: " + " -> ".join(path[path.index(d):] + [d]) if d in path else d)
            if d not in state:
                visit(d, path + [d])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [n])


def _top(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.ImportFrom):
        return {(node.module or "").split(".")[0]} if node.level == 0 else {""}
    return {a.name.split(".")[0] for a in node.names}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_imports_inside_functions(package):
    bad = []
    for name, tree in modules(package).items():
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bad += [f"{name}:{n.lineno}" for n in ast.walk(fn)
                        if isinstance(n, (ast.Import, ast.ImportFrom)) and not _top(n) <= LAZY_OK]
    assert not bad, f"imports inside functions: {bad}"


def _private(attr: str) -> bool:
    return attr.startswith("_") and not attr.startswith("__") and attr not in PUBLIC_UNDERSCORE


@pytest.mark.parametrize("package", PACKAGES)
def test_no_private_names_across_modules(package):
    bad = []
    for name, tree in modules(package).items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                bad += [f"{name}: imports {a.name}" for a in node.names if _private(a.name)]
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in {"self", "cls"}):
                    bad += [f"{name}:{node.lineno}: .{node.attr}"]
    assert not bad, f"private names used from outside their module: {bad}"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_source_file_over_450_lines(package):
    long = {n: len(t.body) for n, t in modules(package).items()}
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / package).rglob("*.py")}
    assert long and all(v <= 460 for v in sizes.values()), sizes
