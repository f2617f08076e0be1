"""The type stubs (``acarray/*.pyi``): current with the namespace that ``tools/make_stubs.py``
writes them from, complete, and read by a type checker as Tensors in and Tensors out."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import array_api_strict
import pytest
from mypy_reveal import assert_reveals

import acarray

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python tools/make_stubs.py"
TENSOR = "acarray._tensor.Tensor"


def _generator():
    spec = importlib.util.spec_from_file_location("make_stubs", ROOT / "tools" / "make_stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _generator()


def _strict_version(text: str) -> str | None:
    """The array-api-strict version a stub's header says it was written from."""
    m = re.search(r"array-api-strict (\S+): do not edit", text)
    return m.group(1) if m else None


def _skeleton(text: str) -> str:
    """A stub without its annotations: the names, parameters and defaults, which are acarray's."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.returns = None
            for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg,
                        node.args.kwarg):
                if arg is not None:
                    arg.annotation = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(...)
    return ast.dump(tree)


def test_stubs_are_current(tmp_path):
    """The committed stubs are what the generator writes now (a stale one: regenerate)."""
    run = subprocess.run([sys.executable, "tools/make_stubs.py", "--out", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{REGENERATE} failed:\n{run.stderr}"
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in (tmp_path / "acarray").glob("*.pyi")}
    committed = {p.relative_to(ROOT).as_posix(): p.read_text() for p in (ROOT / "acarray").glob("*.pyi")}
    assert sorted(committed) == sorted(fresh), f"the stubs in acarray/ are not the generator's: run `{REGENERATE}`"
    stale = []
    for rel, text in fresh.items():
        if _strict_version(committed[rel]) == array_api_strict.__version__:
            same = committed[rel] == text
        else:  # annotations of another array-api-strict: acarray's part must still agree
            same = _skeleton(committed[rel]) == _skeleton(text)
        if not same:
            stale.append(rel)
    assert not stale, f"stale stubs {stale}: run `{REGENERATE}` and commit the result"


def _declared(path: Path) -> tuple[set, list]:
    """The names a stub defines or imports at module level, and its ``__all__``."""
    tree = ast.parse(path.read_text())
    names, listed = set(), []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                    if target.id == "__all__":
                        listed = ast.literal_eval(node.value)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "acarray" and [a.name for a in node.names] == ["*"]:
                names.update(_declared(ROOT / "acarray" / "__init__.pyi")[1])  # the package's __all__
            else:
                names.update(a.asname or a.name for a in node.names)
    return names, listed


def _namespace_or_skip(name: str):
    if name == "cupy":
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() == 0:
                pytest.skip("no CUDA device")
        except Exception as e:  # not installed, or no driver
            pytest.skip(f"cupy is not usable here: {e}")
    try:
        return acarray.namespace(name)
    except ImportError as e:
        pytest.skip(str(e))


@pytest.mark.parametrize("name", acarray.BACKEND_NAMES)
def test_stubs_declare_every_name(name):
    """Each name of a namespace's ``__all__`` (and of its extensions') is in its stub, and the
    stub's ``__all__`` is the namespace's."""
    ns = _namespace_or_skip(name)
    for stub, module in ((f"{name}.pyi", ns), ("linalg.pyi", ns.linalg), ("fft.pyi", ns.fft),
                         ("special.pyi", ns.special)):
        names, listed = _declared(ROOT / "acarray" / stub)
        missing = sorted(set(module.__all__) - names)
        assert not missing, f"acarray/{stub} lacks {missing}: run `{REGENERATE}`"
        if module is not ns:  # a backend's stub takes the package's names, a superset of its own
            assert listed == sorted(module.__all__), f"acarray/{stub}'s __all__ is not {module.__name__}'s"
    for n in ("linalg", "fft", "special", "backend"):
        assert n in _declared(ROOT / "acarray" / f"{name}.pyi")[0]


def test_package_stub_declares_every_name():
    names, listed = _declared(ROOT / "acarray" / "__init__.pyi")
    public = set(acarray.__all__) | set(acarray._SUBMODULES)
    assert not sorted(public - names), f"acarray/__init__.pyi lacks {sorted(public - names)}: run `{REGENERATE}`"
    assert listed == sorted(acarray.__all__)


def _tensor_typing_block():
    """The ``if TYPE_CHECKING:`` block of ``class Tensor`` in acarray/_tensor.py, or None."""
    tree = ast.parse((ROOT / "acarray" / "_tensor.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    for node in cls.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return node
    return None


def test_tensor_operators_are_declared(generator):
    """Every operator ``install_operators`` gives Tensor is declared for type checkers, and no other."""
    block = _tensor_typing_block()
    if block is None:
        pytest.skip(f"class Tensor has no `if TYPE_CHECKING:` block yet: `{REGENERATE} --tensor-block` prints it")
    declared = {n.name: n for n in block.body if isinstance(n, ast.FunctionDef)}
    operators = {n for n in declared if n.startswith("__") and n not in ("__getitem__", "__setitem__")}
    expected = generator.tensor_operators()
    assert operators == set(expected), (
        f"Tensor's declared operators differ from its operator tables: missing {sorted(set(expected) - operators)}, "
        f"extra {sorted(operators - set(expected))}; `{REGENERATE} --tensor-block` prints the block")
    for name, node in declared.items():
        if name in expected:
            assert node.returns is not None and ast.unparse(node.returns) in ("Tensor", "Self"), name


# One line of code per revealed type, and what the type checker must say it is.
REVEALED = [
    ("xp.sum(a)", TENSOR),
    ("xp.sum(a, axis=0, keepdims=True)", TENSOR),
    ("xp.add(a, 1.0)", TENSOR),
    ("xp.asarray([[1.0, 2.0]], requires_grad=True)", TENSOR),
    ("xp.meshgrid(a, a)", f"tuple[{TENSOR}, ...]"),
    ("xp.linalg.svd(m).U", TENSOR),
    ("xp.linalg.eigh(m).eigenvectors", TENSOR),
    ("xp.unique_all(a).counts", TENSOR),
    ("xp.fft.rfft(a)", TENSOR),
    ("xp.special.erf(a)", TENSOR),
    ("xp.grad(xp.sum)(a)", TENSOR),
    ("xp.value_and_grad(xp.sum)(a)[1]", TENSOR),
    ("xp.hvp(xp.sum, (a,), (a,))[0]", TENSOR),
    ("t.linalg.inv(m)", TENSOR),
    ("t.sum(a)", TENSOR),
    ("t.ones((2,), dtype=t.float32)", TENSOR),
    ("xp.finfo(xp.float32).eps", "builtins.float"),
    ("a.T", TENSOR),
]
# With Tensor's operators declared (see test_tensor_operators_are_declared).
OPERATORS = [("a + 1", TENSOR), ("2.0 * a", TENSOR), ("a @ m", TENSOR), ("a == a", TENSOR), ("-a", TENSOR),
             ("a[0]", TENSOR)]


def test_type_checker_sees_tensors(tmp_path, monkeypatch):
    """mypy, with the project's configuration, reads Tensor results from the package namespace,
    its extensions and a backend's namespace (one run of a few seconds)."""
    revealed = REVEALED + (OPERATORS if _tensor_typing_block() is not None else [])
    head = """\
        import acarray as xp
        import acarray.torch as t

        a = xp.ones((2,))
        m = xp.eye(2)
    """
    assert_reveals(tmp_path, monkeypatch, head, revealed)
