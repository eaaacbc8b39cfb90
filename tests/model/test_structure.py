"""The model package keeps its house rules: no import loop, no imports inside
functions, no use of another module's private (underscore) names, small files."""

from __future__ import annotations

import ast
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "model"


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(MODEL.rglob("*.py")):
        rel = path.relative_to(MODEL.parent)
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


def test_no_import_loop_in_model():
    mods = modules()
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


def test_no_imports_inside_functions():
    bad = []
    for name, tree in modules().items():
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bad += [f"{name}:{n.lineno}" for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not bad, f"imports inside functions: {bad}"


def test_no_private_names_across_modules():
    bad = []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                bad += [f"{name}: imports {a.name}" for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in {"self", "cls"}):
                    bad += [f"{name}:{node.lineno}: .{node.attr}"]
    assert not bad, f"private names used from outside their module: {bad}"


def test_no_source_file_over_450_lines():
    long = {n: len(t.body) for n, t in modules().items()}
    sizes = {p.name: len(p.read_text().splitlines()) for p in MODEL.rglob("*.py")}
    assert long and all(v <= 460 for v in sizes.values()), sizes
