"""The package's layers, stated as data, and checks that its imports only go down them.

1. backend: ``_backend``, ``_grad_mode``
2. tensor and engine: ``_tensor``, ``_autograd``, and what sits on them alone (``_host``, ``_transforms``)
3. rules: ``_ops`` and the fused ops of the layers, ``nn._ops``
4. assembly: ``_functions``, ``_namespace`` and the package ``acarray`` itself
5. API: ``autograd``, ``testing``, ``viz``, ``serialization``, ``nn``, ``optim``, ``data``

A module imports modules of its own layer or of lower ones, never of a higher one: not at the
top, not inside a function.  A lower layer reaches an upper one only through a registration hook
that the upper layer calls (``Backend.ns`` is built by a function the namespace module hands to
the backend, say), never by importing it.  The one upward reference allowed is the package's
``__getattr__`` (PEP 562): ``acarray.nn``, ``acarray.save``... are imported on first access,
never by ``import acarray``.  No two modules import each other, directly or around a longer cycle.

Three checks: the imports as written (``ast``: top-level and in-function ``import`` and
``from ... import``, and ``importlib.import_module``/``__import__`` of a constant name), what
importing each module of layers 1 to 4 alone loads (a subprocess per layer, each module loaded
under a package name of its own whose ``__init__`` does not run, so that a module loading an upper
layer, by any means, is seen), and cycles among the modules.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys

import pytest

ROOT = "acarray"

LAYERS = {
    # 1. backend
    "acarray._backend": 1,
    "acarray._grad_mode": 1,
    # 2. tensor and engine
    "acarray._tensor": 2,
    "acarray._autograd": 2,
    "acarray._host": 2,
    "acarray._transforms": 2,
    "acarray._function": 2,
    "acarray._pytree": 2,
    "acarray._checkpoint": 2,
    # 3. rules
    "acarray._ops": 3,
    "acarray._ops.arguments": 3,
    "acarray._ops.common": 3,
    "acarray._ops.creation": 3,
    "acarray._ops.dtype_rules": 3,
    "acarray._ops.elementwise": 3,
    "acarray._ops.fft": 3,
    "acarray._ops.indexing": 3,
    "acarray._ops.linalg": 3,
    "acarray._ops.manipulation": 3,
    "acarray._ops.reductions": 3,
    "acarray._ops.searching": 3,
    "acarray._ops.special": 3,
    "acarray.nn._ops": 3,
    "acarray.nn._ops.conv": 3,
    "acarray.nn._ops.dense": 3,
    "acarray.nn._ops.util": 3,
    # 4. assembly
    "acarray": 4,
    "acarray._functions": 4,
    "acarray._namespace": 4,
    # 5. API
    "acarray.autograd": 5,
    "acarray.data": 5,
    "acarray.testing": 5,
    "acarray.viz": 5,
    "acarray.serialization": 5,
    "acarray.nn": 5,
    "acarray.nn.functional": 5,
    "acarray.nn.init": 5,
    "acarray.nn.layers": 5,
    "acarray.nn.layers._params": 5,
    "acarray.nn.layers.activation": 5,
    "acarray.nn.layers.attention": 5,
    "acarray.nn.layers.conv": 5,
    "acarray.nn.layers.dropout": 5,
    "acarray.nn.layers.embedding": 5,
    "acarray.nn.layers.linear": 5,
    "acarray.nn.layers.norm": 5,
    "acarray.nn.layers.recurrent": 5,
    "acarray.nn.module": 5,
    "acarray.nn.parameter": 5,
    "acarray.nn.utils": 5,
    "acarray.optim": 5,
    "acarray.optim.adam": 5,
    "acarray.optim.lr_scheduler": 5,
    "acarray.optim.optimizer": 5,
    "acarray.optim.sgd": 5,
    "acarray.scipy": 5,
    "acarray.scipy.ndimage": 5,
    "acarray.scipy.signal": 5,
}


# Module-level functions whose imports are lazy attributes of a package (PEP 562), not imports of it.
LAZY_ATTRIBUTES = {(ROOT, "__getattr__")}


def _package_dir() -> str:
    return importlib.util.find_spec(ROOT).submodule_search_locations[0]


def _modules() -> dict:
    """Every module of the package, found on disk (nothing imported): name -> (file, is_package)."""
    found = {ROOT: (os.path.join(_package_dir(), "__init__.py"), True)}

    def walk(path, prefix):
        for info in pkgutil.iter_modules([path]):
            name = f"{prefix}.{info.name}"
            if info.ispkg:
                found[name] = (os.path.join(path, info.name, "__init__.py"), True)
                walk(os.path.join(path, info.name), name)
            else:
                found[name] = (os.path.join(path, info.name + ".py"), False)

    walk(_package_dir(), ROOT)
    return found


MODULES = _modules()


def _ancestors(name: str) -> list:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _known(name: str) -> str:
    """The module of the package that ``name`` is, or lies in (``acarray.numpy`` is the package's)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


class _Edge:
    """``importer`` runs ``target`` where an import of ``named`` is written (``target`` is ``named``
    or a package it lies in); ``where`` is the function, None at the top."""

    __slots__ = ("importer", "target", "named", "line", "where", "top_level")

    def __init__(self, importer, target, named, line, where):
        self.importer, self.target, self.named, self.line, self.where = importer, target, named, line, where
        self.top_level = where is None

    def __repr__(self):
        how = "at import" if self.top_level else f"in {self.where}"
        return f"{self.importer} -> {self.target} (line {self.line}, {how})"


def _targets(importer: str, name: str) -> list:
    """The modules of the package an import of ``name`` runs, as far as ``importer`` is concerned:
    ``name`` and the packages it lies in, less the package itself and ``importer``'s own packages."""
    if name != ROOT and not name.startswith(ROOT + "."):
        return []
    name = _known(name)
    own = set(_ancestors(importer))
    return [p for p in _ancestors(name) if p != ROOT and p not in own] + [name]


def _imports(module: str, source: str | None = None) -> list:
    """The imports written in ``module`` (its file, or ``source``), as edges to modules of the package."""
    path, is_package = MODULES[module]
    tree = ast.parse(open(path, encoding="utf-8").read() if source is None else source, path)
    package = module if is_package else module.rpartition(".")[0]
    edges = []

    def resolve(level, name):
        if not level:
            return name
        base = package.split(".")
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([name] if name else []))

    def add(names, node, where):
        for name in names:
            targets = _targets(module, name)
            for target in targets:
                edges.append(_Edge(module, target, targets[-1], node.lineno, where))

    def visit(nodes, where):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                name = getattr(node, "name", "<lambda>")
                visit([*getattr(node, "decorator_list", ()), node.args], where)  # run where it is defined
                if where is None and (module, name) in LAZY_ATTRIBUTES:
                    continue
                body = node.body if isinstance(node.body, list) else [node.body]
                visit(body, name if where is None else f"{where}.{name}")
                continue
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse, where)  # what is under TYPE_CHECKING never runs
                continue
            if isinstance(node, ast.Import):
                add([a.name for a in node.names], node, where)
            elif isinstance(node, ast.ImportFrom):
                base = resolve(node.level, node.module)
                add([f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names], node, where)
            elif isinstance(node, ast.Call) and _imported_name(node) is not None:
                name = _imported_name(node)
                level = len(name) - len(name.lstrip("."))
                add([resolve(level, name[level:]) if level else name], node, where)
            visit(ast.iter_child_nodes(node), where)

    visit(tree.body, None)
    return edges


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_name(call: ast.Call):
    """The constant module name of ``importlib.import_module("...")`` or ``__import__("...")``."""
    func = call.func
    called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if called not in ("import_module", "__import__") or not call.args:
        return None
    arg = call.args[0]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


EDGES = list({(e.importer, e.target, e.named, e.line, e.where): e for m in sorted(MODULES) for e in _imports(m)}.values())


def _edges(top_level_only=False) -> list:
    return [e for e in EDGES if e.target != e.importer
            and not (top_level_only and not e.top_level)]


def test_every_module_has_a_layer():
    missing = sorted(set(MODULES) - set(LAYERS))
    gone = sorted(set(LAYERS) - set(MODULES))
    assert not missing, f"modules without a layer (add them to LAYERS in {__file__}): {missing}"
    assert not gone, f"LAYERS names modules that are not there: {gone}"
    assert set(LAYERS.values()) <= {1, 2, 3, 4, 5}


def test_no_module_imports_a_higher_layer():
    bad = [
        f"{e!r}: layer {LAYERS[e.importer]} imports layer {LAYERS[e.target]}"
        for e in _edges()
        if LAYERS.get(e.target, 0) > LAYERS.get(e.importer, 0)
    ]
    assert not bad, "imports that go up the layers:\n  " + "\n  ".join(bad)


def _cycles(edges) -> list:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    graph: dict = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.target)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _shortest_cycles(component, edges) -> list:
    """For each module of ``component``, a shortest cycle of imports through it (each cycle once)."""
    inside = set(component)
    out: dict = {}
    for e in edges:
        if e.importer in inside and e.target in inside:
            out.setdefault(e.importer, {}).setdefault(e.target, e)
    cycles = {}
    for start in component:
        back = {start: None}
        todo = [start]
        while todo and start not in [w for v in todo for w in out.get(v, {})]:
            todo = [w for v in todo for w in out.get(v, {}) if w not in back and not back.update({w: v})]
        last = next(v for v in todo if start in out.get(v, {}))
        path = [out[last][start]]
        while last != start:
            path.append(out[back[last]][last])
            last = back[last]
        path.reverse()
        first = min(range(len(path)), key=lambda k: path[k].importer)
        path = path[first:] + path[:first]
        cycles[tuple(e.importer for e in path)] = path
    return list(cycles.values())


def test_no_import_cycles():
    edges = _edges()
    cycles = _cycles(edges)
    lines = []
    for component in cycles:
        lines.append(f"{len(component)} modules: {', '.join(component)}; through each, a shortest cycle:")
        lines += ["    " + "; ".join(repr(e) for e in path) for path in _shortest_cycles(component, edges)]
    assert not cycles, "modules that import each other:\n  " + "\n  ".join(lines)


def test_the_cycle_check_finds_cycles():
    a, b, c = (_Edge(n, m, m, 1, None) for n, m in (("x", "y"), ("y", "z"), ("z", "x")))
    assert _cycles([a, b, c]) == [["x", "y", "z"]]
    assert _cycles([a, b]) == []
    assert [[e.importer for e in path] for path in _shortest_cycles(["x", "y", "z"], [a, b, c])] == [["x", "y", "z"]]


def test_the_import_parse_sees_every_form_of_import():
    source = (
        "import numpy\n"
        "from . import _grad_mode, asarray\n"
        "from ._ops.common import unwrap\n"
        "import acarray.nn.module\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from . import viz\n"
        "class C:\n"
        "    from . import testing\n"
        "    def f(self):\n"
        "        from .optim import sgd\n"
        "def g():\n"
        "    import importlib\n"
        "    importlib.import_module('acarray.serialization')\n"
        "    return lambda: __import__('acarray.autograd')\n"
    )
    found = {(e.target, e.where) for e in _imports("acarray._tensor", source)}
    assert found == {
        ("acarray._grad_mode", None), ("acarray", None),  # asarray is the package's
        ("acarray._ops", None), ("acarray._ops.common", None),
        ("acarray.nn", None), ("acarray.nn.module", None),
        ("acarray.testing", None),  # a class body runs at import
        ("acarray.optim", "f"), ("acarray.optim.sgd", "f"),
        ("acarray.serialization", "g"), ("acarray.autograd", "g.<lambda>"),
    }
    # A package's own packages are not imports of it; the package's lazy attributes are not imports.
    assert {e.target for e in _imports("acarray.nn.layers.linear", "from .. import functional as F")} == {
        "acarray.nn.functional"}
    assert not _imports("acarray", "def __getattr__(name):\n    from . import nn\n")
    assert _imports("acarray", "def other(name):\n    from . import nn\n")


# -- each module alone -----------------------------------------------------------------------

# Run in a fresh interpreter: loads each module of a layer under a package name of its own
# ("_layer_probe_3", ...), whose packages are bare module objects (their __init__ does not run:
# every package is checked as a module of its own), and reports what else of the package it loaded.
_PROBE = r"""
import importlib, importlib.machinery, importlib.util, json, os, sys, traceback, types

root_dir, targets, layers = json.loads(sys.argv[1])
ROOT = "acarray"


def known(name):
    while name not in layers:
        name = name.rpartition(".")[0]
    return name


report = {}
for i, (target, layer) in enumerate(targets):
    prefix = f"_layer_probe_{i}"
    before = set(sys.modules)
    fakes = set()

    def probe(name):
        return prefix + name[len(ROOT):]

    parts = target.split(".")
    for k in range(1, len(parts)):
        name = ".".join(parts[:k])
        path = os.path.join(root_dir, *parts[1:k])
        m = types.ModuleType(probe(name))
        m.__path__ = [path]
        m.__package__ = probe(name)
        m.__spec__ = importlib.machinery.ModuleSpec(probe(name), None, is_package=True)
        m.__spec__.submodule_search_locations = [path]
        sys.modules[probe(name)] = m
        fakes.add(name)
    error = None
    try:
        if target == ROOT:
            spec = importlib.util.spec_from_file_location(
                prefix, os.path.join(root_dir, "__init__.py"), submodule_search_locations=[root_dir])
            m = importlib.util.module_from_spec(spec)
            sys.modules[prefix] = m
            spec.loader.exec_module(m)
        else:
            importlib.import_module(probe(target))
    except BaseException:
        error = traceback.format_exc(limit=-3)
    loaded = set()
    for name in set(sys.modules) - before:
        if name == prefix or name.startswith(prefix + "."):
            real = ROOT + name[len(prefix):]
        elif name == ROOT or name.startswith(ROOT + "."):
            real = name
        else:
            continue
        if real in fakes and name != real:
            continue
        real = known(real)
        if layers[real] > layer:
            loaded.add(real)
    for name in set(sys.modules) - before:
        if name in (prefix, ROOT) or name.startswith((prefix + ".", ROOT + ".")):
            del sys.modules[name]
    report[target] = {"error": error, "loaded": sorted(loaded)}
print(json.dumps(report))
"""


@pytest.mark.parametrize("layer", [1, 2, 3, 4])
def test_each_module_of_a_layer_imports_alone(layer):
    targets = [(m, layer) for m in sorted(MODULES) if LAYERS.get(m) == layer]
    assert targets
    layers = {m: LAYERS.get(m, 5) for m in MODULES}
    run = subprocess.run([sys.executable, "-c", _PROBE, json.dumps([_package_dir(), targets, layers])],
                         capture_output=True, text=True, timeout=300, cwd=os.path.dirname(_package_dir()))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    bad = []
    for target, _ in targets:
        result = report[target]
        if result["error"]:
            bad.append(f"importing {target} alone raised:\n{result['error']}")
        for name in result["loaded"]:  # the probe reports what got loaded above the target's layer
            bad.append(f"importing {target} (layer {layer}) alone loads {name} (layer {LAYERS[name]})")
    assert not bad, "\n".join(bad)
