"""The package's layout rules: one array module, and a core that imports no op.

NumPy is named in one file (``chainrule/_array.py``), so a second array backend is a swap there.
The module-level imports form no cycle, so ``tensor.py`` and ``op.py`` are a small core the
ops build on: each of them and each ``chainrule.ops`` module imports alone, first, in a fresh
interpreter.
"""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "src" / "chainrule"
ARRAY_MODULE = PACKAGE / "_array.py"


def _modules() -> dict[str, pathlib.Path]:
    """Dotted module name -> source file, for every module of the package."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _numpy_imports(path: pathlib.Path) -> list[int]:
    """Lines of ``path`` that import NumPy, at any depth (docstring examples do not count)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        and any(a.name.split(".")[0] == "numpy" for a in node.names)
        or isinstance(node, ast.ImportFrom)
        and node.level == 0
        and (node.module or "").split(".")[0] == "numpy"
    ]


def test_numpy_is_imported_only_in_the_array_module() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in _modules().values()
        if path != ARRAY_MODULE
        for line in _numpy_imports(path)
    ]
    assert not offenders, (
        f"NumPy imported outside chainrule/_array.py: {', '.join(offenders)}; "
        "use `from chainrule._array import xp` (export what is missing from _array.py)"
    )


def test_the_numpy_scan_sees_the_array_module_import() -> None:
    # A scan that found nothing anywhere would pass the test above.
    assert len(_numpy_imports(ARRAY_MODULE)) == 2


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _top_level_imports(name: str, path: pathlib.Path, modules: dict[str, pathlib.Path]) -> set:
    """The package modules ``name`` imports when it is itself imported (not inside functions,
    not under ``if TYPE_CHECKING``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    statements = list(ast.parse(path.read_text()).body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.If | ast.Try) and not _is_type_checking(node):
            statements.extend(ast.iter_child_nodes(node))  # imports inside if/try still run
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {m for m in found if m in modules and m != name}


def _cycles(graph: dict[str, set]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1:
                        components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def _import_graph() -> dict[str, set]:
    modules = _modules()
    return {name: _top_level_imports(name, path, modules) for name, path in modules.items()}


def test_module_level_imports_form_no_cycle() -> None:
    cycles = _cycles(_import_graph())
    assert not cycles, "module-level import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    # The core as it was: tensor imported the ops at its end and the ops import tensor.
    graph = _import_graph()
    graph["chainrule.tensor"] = graph["chainrule.tensor"] | {"chainrule.ops.elementwise"}
    assert any({"chainrule.tensor", "chainrule.ops.elementwise"} <= set(c) for c in _cycles(graph))


def test_the_core_imports_no_op_module() -> None:
    graph = _import_graph()
    for core in ("chainrule.tensor", "chainrule.op"):
        ops = sorted(m for m in graph[core] if m.startswith("chainrule.ops"))
        assert not ops, f"{core} imports {ops} at module level"


# Imports each module with the package's __init__ left out (it imports everything, in its own
# order) and every chainrule module forgotten first, then uses a tensor, so the core's deferred
# names are exercised from that start too. One interpreter for all: NumPy loads once.
_ALONE = """
import importlib, sys, traceback, types
for name in sys.argv[2:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] == "chainrule"]:
        del sys.modules[loaded]
    package = types.ModuleType("chainrule")
    package.__path__ = [sys.argv[1]]
    sys.modules["chainrule"] = package
    try:
        importlib.import_module(name)
        from chainrule.tensor import _make
        from chainrule._array import xp
        x = _make(xp.array([1.0, 2.0]), requires_grad=True)
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0], x.grad
    except Exception as error:
        print(f"{name}: {type(error).__name__}: {error}")
"""


def test_the_core_and_each_op_module_import_alone_first() -> None:
    names = ["chainrule.tensor", "chainrule.op"] + sorted(
        m for m in _modules() if m.startswith("chainrule.ops.")
    )
    run = subprocess.run(
        [sys.executable, "-c", _ALONE, str(PACKAGE), *names], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert not run.stdout, "modules that fail when imported first:\n" + run.stdout
