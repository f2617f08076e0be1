"""Write acarray's type stubs from the live namespace: ``python tools/make_stubs.py``.

The names are those of ``acarray.namespace("numpy").__all__`` and of its ``linalg``, ``fft``
and ``special`` modules; the parameters (names, kinds, defaults) are those of acarray's own
functions; the annotations are array-api-strict's for the same function, with its ``Array``
written ``Tensor``, its dtype and device types the aliases ``DType`` and ``Device``, and its
result named tuples declared as named tuples of Tensors.  Every backend's namespace
(``acarray/torch.pyi``...) re-exports the package's names.

``--out DIR`` writes the stubs under ``DIR/acarray`` instead of the package (the test of the
stubs compares the two); ``--tensor-block`` prints the typing block of :class:`Tensor`'s
operators, made from the operator tables of ``acarray/_tensor.py``.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import array_api_strict as strict  # noqa: E402
from array_api_strict._array_object import Array as StrictArray  # noqa: E402

import acarray  # noqa: E402
from acarray import _tensor  # noqa: E402
from acarray._namespace import CONSTANTS, DTYPES  # noqa: E402
from acarray._ops import linalg as _linalg_rules  # noqa: E402
from acarray._ops import searching as _searching_rules  # noqa: E402

COMMAND = "python tools/make_stubs.py"
P = inspect.Parameter

# array-api-strict's annotation names -> the stubs' ("" drops the name from its union: strict's
# own sentinel, where acarray's default is None).
NAMES = {
    "Array": "Tensor",
    "DType": "DType",
    "Device": "Device",
    "Undef": "",
    "NoneType": "None",
    "None": "None",
    "int": "int",
    "float": "float",
    "complex": "complex",
    "str": "str",
    "bool": "bool",
    "tuple": "tuple",
    "list": "list",
    "Literal": "Literal",
    "Sequence": "Sequence",
    "NestedSequence": "_NestedSequence",
    "SupportsBufferProtocol": "_SupportsBufferProtocol",
    "SupportsDLPack": "_SupportsDLPack",
    "finfo_object": "_FInfo",
    "iinfo_object": "_IInfo",
    "EllipsisType": "EllipsisType",
}

# Names of the namespaces that are no array-API function, with their declarations.  Their
# parameters are checked against the runtime's signatures.
TRANSFORMS = '''\
@overload
def grad(f: Callable[_P, Tensor], argnums: int = 0, has_aux: Literal[False] = False) -> Callable[_P, Tensor]: ...
@overload
def grad(f: Callable[_P, tuple[Tensor, Any]], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[_P, Any]: ...
@overload
def value_and_grad(f: Callable[_P, Tensor], argnums: int = 0, has_aux: Literal[False] = False) -> Callable[_P, tuple[Tensor, Tensor]]: ...
@overload
def value_and_grad(f: Callable[_P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[_P, tuple[Any, Any]]: ...
def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]: ...
def jvp(f: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...], has_aux: bool = False) -> tuple[Any, ...]: ...
def jacrev(f: Callable[_P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[_P, Any]: ...
def jacfwd(f: Callable[_P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[_P, Any]: ...
def jacobian(f: Callable[_P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[_P, Any]: ...
def hessian(f: Callable[_P, Tensor], argnums: int | Sequence[int] = 0) -> Callable[_P, Any]: ...
def hvp(f: Callable[..., Tensor], primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Tensor, tuple[Any, ...]]: ...
'''
# Names the namespaces re-export from the modules that define them: name -> module.
REEXPORTS = {
    "Tensor": "acarray._tensor",
    "no_grad": "acarray._grad_mode",
    "enable_grad": "acarray._grad_mode",
    "is_grad_enabled": "acarray._grad_mode",
}
# Names of the package beside its default namespace's: name -> module (None: declared here).
PACKAGE_REEXPORTS = {
    "Op": "acarray._autograd",
    "custom_vjp": "acarray._function",
    "checkpoint": "acarray._checkpoint",
    "AxisError": "acarray._ops.arguments",
    "BACKEND_NAMES": "acarray._backend",
    "CheckpointError": "acarray.serialization",
    "load": "acarray.serialization",
    "save": "acarray.serialization",
}
PACKAGE_DECLARED = '''\
__version__: str
backend: _Backend

def namespace(backend: object) -> ModuleType: ...
'''
SUBMODULES = ("autograd", "data", "fft", "linalg", "nn", "optim", "scipy", "serialization", "special", "testing", "viz")
EXTENSIONS = ("fft", "linalg", "special")
# acarray's parameters beyond the standard's: (function, parameter) -> annotation.
EXTRA_PARAMETERS = {("asarray", "requires_grad"): "bool"}

HELPERS = '''\
_P = ParamSpec("_P")
_T_co = TypeVar("_T_co", covariant=True)

# A data type and a device of the backend (numpy.float32, torch.float32, "cpu", ...).
DType: TypeAlias = Any
Device: TypeAlias = Any
_SupportsBufferProtocol: TypeAlias = Any

class _NestedSequence(Protocol[_T_co]):
    def __getitem__(self, key: int, /) -> _T_co | _NestedSequence[_T_co]: ...
    def __len__(self, /) -> int: ...

class _SupportsDLPack(Protocol):
    def __dlpack__(self, /, *, stream: None = ...) -> Any: ...

class _FInfo(Protocol):
    @property
    def bits(self) -> int: ...
    @property
    def eps(self) -> float: ...
    @property
    def max(self) -> float: ...
    @property
    def min(self) -> float: ...
    @property
    def smallest_normal(self) -> float: ...
    @property
    def dtype(self) -> DType: ...

class _IInfo(Protocol):
    @property
    def bits(self) -> int: ...
    @property
    def max(self) -> int: ...
    @property
    def min(self) -> int: ...
    @property
    def dtype(self) -> DType: ...
'''


class StubError(RuntimeError):
    """The namespace holds something the generator does not know how to declare."""


# -- annotations --------------------------------------------------------------------------


def _union(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left) + _union(node.right)
    return [node]


def _join(items: list[ast.expr]) -> ast.expr:
    out = items[0]
    for item in items[1:]:
        out = ast.BinOp(out, ast.BitOr(), item)
    return out


class _Rename(ast.NodeTransformer):
    """array-api-strict's annotation as the stubs write it."""

    def __init__(self, where: str, shadowed: set[str], results: dict):
        self.where, self.shadowed, self.results = where, shadowed, results

    def _name(self, name: str) -> ast.expr:
        if name in self.results:
            return ast.Name(name)
        if name not in NAMES:
            raise StubError(f"{self.where}: array-api-strict's annotation names {name!r}; add it to NAMES in {__file__}")
        new = NAMES[name]
        if new == "None":
            return ast.Constant(None)
        if new in self.shadowed:
            new = f"_{new}"
        return ast.Name(new)

    def visit_Name(self, node):
        return self._name(node.id)

    def visit_Attribute(self, node):
        return self._name(node.attr)  # array_api_strict._array_object.Array -> Tensor

    def visit_Constant(self, node):
        return node

    def visit_Subscript(self, node):
        base = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
        if base in ("Union", "Optional"):
            items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base == "Optional":
                items.append(ast.Constant(None))
            return self.visit(_join(items))
        if base == "Literal":
            return ast.Subscript(ast.Name("Literal"), node.slice)
        node.value = self.visit(node.value)
        node.slice = self.visit(node.slice)
        return node

    def visit_BinOp(self, node):
        items, seen = [], set()
        for item in _union(node):
            new = self.visit(item)
            if isinstance(new, ast.Name) and new.id == "":
                continue
            text = ast.unparse(new)
            if text not in seen:
                seen.add(text)
                items.append(new)
        return _join(items)


def _annotation_text(ann) -> str:
    return ann if isinstance(ann, str) else inspect.formatannotation(ann)


def convert(ann, where: str, *, shadowed: set[str], results: dict, owner=None, optional: bool = False) -> str:
    """array-api-strict's annotation ``ann`` (a string or an object) as the stub's text; a result
    named tuple it names is recorded in ``results`` (name -> fields) to be declared."""
    _note_result(ann, owner, results, where, shadowed)
    tree = ast.parse(_annotation_text(ann), mode="eval").body
    new = _Rename(where, shadowed, results).visit(tree)
    if optional and "None" not in {ast.unparse(i) for i in _union(new)}:
        new = _join([*_union(new), ast.Constant(None)])
    return ast.unparse(new)


def _note_result(ann, owner, results: dict, where: str, shadowed: set[str]) -> None:
    """Record strict's result named tuple ``ann`` (its fields, annotated as the stubs write them)."""
    cls = ann
    if isinstance(ann, str) and owner is not None:
        cls = getattr(owner, "__globals__", {}).get(ann)
    if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
        return
    hints = getattr(cls, "__annotations__", {})
    fields = {}
    for field in cls._fields:
        if field not in hints:
            raise StubError(f"{where}: the field {field!r} of {cls.__name__} has no annotation")
        fields[field] = convert(hints[field], f"{where}: {cls.__name__}.{field}", shadowed=shadowed, results=results)
    results[cls.__name__] = fields
    for rules in (_linalg_rules, _searching_rules):
        mine = getattr(rules, cls.__name__, None)
        if mine is not None and tuple(mine._fields) != tuple(cls._fields):
            raise StubError(f"{where}: acarray's {cls.__name__} has the fields {mine._fields}, the standard's {cls._fields}")


# -- signatures ---------------------------------------------------------------------------


def _default(value, where: str) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise StubError(f"{where}: cannot write the default {value!r} in a stub")


def render_signature(params: list[tuple[inspect.Parameter, str]], returns: str) -> str:
    """``(params) -> returns`` with the ``/`` and ``*`` markers where the kinds change."""
    out: list[str] = []
    star = False
    for i, (p, ann) in enumerate(params):
        text = p.name + (f": {ann}" if ann else "")
        if p.default is not P.empty:
            text += f" = {_default(p.default, p.name)}"
        if p.kind is P.VAR_POSITIONAL:
            text, star = "*" + text, True
        elif p.kind is P.VAR_KEYWORD:
            text = "**" + text
        elif p.kind is P.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        out.append(text)
        last = i + 1 == len(params) or params[i + 1][0].kind is not P.POSITIONAL_ONLY
        if p.kind is P.POSITIONAL_ONLY and last:
            out.append("/")
    return f"({', '.join(out)}) -> {returns}"


def _is_opaque(sig: inspect.Signature) -> bool:
    """``(*args, **kwargs)``: a wrapper that does not say its parameters."""
    kinds = [p.kind for p in sig.parameters.values()]
    return kinds == [P.VAR_POSITIONAL, P.VAR_KEYWORD]


def standard_function(name: str, fn, reference, *, shadowed: set[str], results: dict, notes: list) -> str:
    """The stub of ``fn``, acarray's ``name``: its parameters, strict's annotations (``reference``)."""
    ours = inspect.signature(fn)
    theirs = inspect.signature(reference)
    if _is_opaque(ours):
        notes.append(f"{name}: acarray's signature is (*args, **kwargs); the stub takes array-api-strict's")
        ours = theirs
    params = []
    for p in ours.parameters.values():
        key = (name.rpartition(".")[2], p.name)
        if p.name in theirs.parameters:
            ref = theirs.parameters[p.name].annotation
            if ref is P.empty:
                raise StubError(f"{name}: array-api-strict does not annotate {p.name!r}")
            ann = convert(ref, f"{name}({p.name})", shadowed=shadowed, results=results, owner=reference,
                          optional=p.default is None)
        elif key in EXTRA_PARAMETERS:
            ann = EXTRA_PARAMETERS[key]
            ann = f"_{ann}" if ann in shadowed else ann
        else:
            raise StubError(f"{name}: acarray's parameter {p.name!r} is not the standard's; add it to EXTRA_PARAMETERS")
        params.append((p, ann))
    if theirs.return_annotation is P.empty:
        raise StubError(f"{name}: array-api-strict does not annotate the result")
    returns = convert(theirs.return_annotation, f"{name} result", shadowed=shadowed, results=results, owner=reference)
    return f"def {name.rpartition('.')[2]}{render_signature(params, returns)}: ..."


def special_function(name: str, fn) -> str:
    """A special function: Tensors in, a Tensor out; those of several arguments also take Python
    numbers for some of them, as the runtime does (``polygamma(1, x)``)."""
    sig = inspect.signature(fn)
    many = len(sig.parameters) > 1
    params = [(p, "Tensor | float" if many else "Tensor") for p in sig.parameters.values()]
    return f"def {name}{render_signature(params, 'Tensor')}: ..."


def _check_declared(text: str, functions: dict) -> None:
    """The parameters of the hand-written declarations ``text`` are those of the runtime's."""
    for node in ast.parse(text).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        a = node.args
        declared = [x.arg for x in (*a.posonlyargs, *a.args)] + ([f"*{a.vararg.arg}"] if a.vararg else [])
        declared += [x.arg for x in a.kwonlyargs] + ([f"**{a.kwarg.arg}"] if a.kwarg else [])
        runtime = [("*" if p.kind is P.VAR_POSITIONAL else "**" if p.kind is P.VAR_KEYWORD else "") + p.name
                   for p in inspect.signature(functions[node.name]).parameters.values()]
        if declared != runtime:
            raise StubError(f"{node.name}: declared with {declared}, acarray's takes {runtime}; update {__file__}")


# -- modules ------------------------------------------------------------------------------

STDLIB = {"builtins", "collections.abc", "types", "typing"}
# The typing names the stubs may use, by module.
TYPING = {
    "collections.abc": ("Callable", "Sequence"),
    "types": ("EllipsisType", "ModuleType"),
    "typing": ("Any", "Literal", "NamedTuple", "ParamSpec", "Protocol", "Self", "TypeAlias", "TypeVar", "overload"),
}


def _natural(text: str) -> list:
    return [int(t) if i % 2 else t for i, t in enumerate(re.split(r"(\d+)", text))]


def _member_key(name: str):
    """isort's (ruff's defaults) order of imported names: constants, classes, then the rest."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, _natural(name.lower()), name)


def import_block(entries) -> str:
    """``from M import N [as A]`` statements for the ``(M, N, A)`` of ``entries``, as ruff's isort
    writes them: standard library, first party and relative sections; names without an alias
    merged into one statement per module, each aliased name a statement of its own."""
    sections: dict[int, dict[tuple, list]] = {0: {}, 1: {}, 2: {}}
    for module, name, alias in set(entries):
        section = 0 if module in STDLIB else 2 if module.startswith(".") else 1
        key = (module, None) if alias is None else (module, name, alias)
        sections[section].setdefault(key, []).append((name, alias))
    out = []
    for section in (0, 1, 2):
        statements = []
        for key, members in sections[section].items():
            module = key[0]
            members.sort(key=lambda m: _member_key(m[0]))
            names = ", ".join(n if a is None else f"{n} as {a}" for n, a in members)
            statements.append(((_natural(module.lower()), module, _member_key(members[0][0]), members[0][1] or ""),
                               f"from {module} import {names}"))
        if statements:
            out.append("\n".join(text for _, text in sorted(statements)))
    return "\n\n".join(out) + "\n"


def _typing_entries(text: str) -> list[tuple]:
    """The imports of the typing names that ``text`` uses."""
    words = set(re.findall(r"\w+", text))
    return [(module, n, None) for module, names in TYPING.items() for n in names if n in words]


def _header(doc: str) -> str:
    return (f"# Generated by `{COMMAND}` from acarray's namespace and the annotations of array-api-strict "
            f'{strict.__version__}: do not edit.\n"""{doc.strip()}"""\n\n')


def _all(names) -> str:
    body = "".join(f'    "{n}",\n' for n in sorted(names))
    return f"__all__ = [\n{body}]\n"


def _results_block(results: dict) -> str:
    out = []
    for name in sorted(results):
        fields = "".join(f"    {f}: {t}\n" for f, t in results[name].items())
        out.append(f"class {name}(NamedTuple):\n{fields}")
    return "\n".join(out)


def _module(doc: str, imports: list[tuple], all_names, parts: list[str]) -> str:
    """A stub: header, imports, ``__all__`` and ``parts`` (blocks, each ending in a newline)."""
    body = "\n".join(p for p in parts if p)
    imports = [*imports, *_typing_entries(body)]
    return _header(doc) + import_block(imports) + "\n" + _all(all_names) + ("\n" + body if body else "")


def _signatures(module, names, reference, *, shadowed, results, notes, prefix="") -> list[str]:
    out = []
    for n in names:
        ref = getattr(reference, n, None) if reference is not None else None
        if ref is None:
            raise StubError(f"{prefix}{n}: array-api-strict has no such function to take the annotations from")
        out.append(standard_function(f"{prefix}{n}", getattr(module, n), ref, shadowed=shadowed, results=results,
                                     notes=notes))
    return out


def _extension(ns, part: str, notes: list) -> str:
    module = getattr(ns, part)
    names = sorted(module.__all__)
    results: dict = {}
    if part == "special":
        body = [special_function(n, getattr(module, n)) for n in names]
    else:
        body = _signatures(module, names, getattr(strict, part), shadowed=set(), results=results, notes=notes,
                           prefix=f"{part}.")
    text = "\n".join(body) + "\n"
    words = set(re.findall(r"\w+", text))
    imports = [("acarray", w, None) for w in ("DType", "Device") if w in words]
    imports.append(("acarray._tensor", "Tensor", None))
    return _module(module.__doc__, imports, names, [_results_block(results), text])


def _package(ns, notes: list) -> str:
    names = set(ns.__all__)
    package_only = set(acarray.__all__) - names
    known = set(PACKAGE_REEXPORTS) | {"__version__", "backend", "namespace"}
    if package_only != known:
        raise StubError(f"acarray's own names are {sorted(package_only)}, the generator knows {sorted(known)}")
    # Names of the namespace that hide a builtin the annotations use (the dtype ``bool``).
    shadowed = {n for n in names if hasattr(builtins, n) and n in DTYPES}
    results: dict = {}
    functions, values = [], []
    hand = {"grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian", "hvp"}
    for n in sorted(names):
        value = getattr(ns, n)
        if n in EXTENSIONS or n in REEXPORTS or n in hand:
            continue
        if n in DTYPES:
            values.append(f"{n}: DType")
        elif n in CONSTANTS:
            values.append(f"{n}: {'None' if value is None else type(value).__name__}")
        elif n == "__array_api_version__":
            values.append(f"{n}: str")
        elif n == "__array_namespace_info__":
            values.append(f"{n}: Callable[[], Any]")
        elif callable(value) and not isinstance(value, type):
            functions.extend(_signatures(ns, [n], strict, shadowed=shadowed, results=results, notes=notes))
        else:
            raise StubError(f"{n}: the generator does not know how to declare {value!r}")
    for n, module in {**REEXPORTS, **PACKAGE_REEXPORTS}.items():
        owner = getattr(acarray, n) if n in PACKAGE_REEXPORTS else getattr(ns, n)
        if getattr(importlib.import_module(module), n) is not owner:
            raise StubError(f"{n}: acarray's is not {module}.{n}")
    _check_declared(TRANSFORMS, {n: getattr(ns, n) for n in hand})
    _check_declared(PACKAGE_DECLARED, {"namespace": acarray.namespace})

    imports = [("builtins", n, f"_{n}") for n in sorted(shadowed)]
    imports += [(module, n, n) for n, module in {**REEXPORTS, **PACKAGE_REEXPORTS}.items()]
    imports += [("acarray._backend", "Backend", "_Backend")]
    imports += [(".", m, m) for m in SUBMODULES]
    parts = [HELPERS, _results_block(results), "\n".join(values) + "\n", PACKAGE_DECLARED, TRANSFORMS,
             "\n".join(functions) + "\n"]
    return _module(acarray.__doc__, imports, acarray.__all__, parts)


def _backend(ns, name: str) -> str:
    """A backend's stub: the package's names (every backend's namespace has the same functions,
    and the package stub declares them), and the backend object and extensions of its own."""
    doc = f"acarray's differentiable array API namespace on {name}: ``import acarray.{name} as xp``."
    own = "".join(f"from acarray import {n} as {n}\n" for n in ("backend", "fft", "linalg", "special"))
    return _header(doc) + "from acarray import *  # noqa: F403\n" + own


def render() -> tuple[dict[str, str], list[str]]:
    """The stubs (path under the repository -> text) and notes on where acarray's signatures
    were not used."""
    ns = acarray.namespace("numpy")
    notes: list[str] = []
    stubs = {"acarray/__init__.pyi": _package(ns, notes)}
    for part in EXTENSIONS:
        stubs[f"acarray/{part}.pyi"] = _extension(ns, part, notes)
    for name in acarray.BACKEND_NAMES:
        stubs[f"acarray/{name}.pyi"] = _backend(ns, name)
    return stubs, notes


# -- Tensor's operators ------------------------------------------------------------------


def tensor_operators() -> dict[str, str]:
    """Tensor's operators, from the tables of ``acarray/_tensor.py``: dunder -> declaration."""
    out = {}

    def declare(dunder: str, reference: str, returns: str, *, ignore: str = "") -> None:
        sig = inspect.signature(getattr(StrictArray, reference))
        params = [(p, convert(p.annotation, f"Array.{reference}({p.name})", shadowed=set(), results={}))
                  for p in sig.parameters.values() if p.name != "self"]
        text = render_signature(params, returns)  # every parameter but self is positional-only
        text = "(self" + (", " if params else "") + text[1:]
        out[dunder] = f"def {dunder}{text}: ...{'  # type: ignore[' + ignore + ']' if ignore else ''}"

    for d in _tensor._BINARY_DUNDERS:
        declare(f"__{d}__", f"__{d}__", "Tensor")
        declare(f"__r{d}__", f"__r{d}__" if hasattr(StrictArray, f"__r{d}__") else f"__{d}__", "Tensor")
        declare(f"__i{d}__", f"__i{d}__" if hasattr(StrictArray, f"__i{d}__") else f"__{d}__", "Self")
    for d in _tensor._COMPARISON_DUNDERS:
        declare(f"__{d}__", f"__{d}__", "Tensor", ignore="override" if d in ("eq", "ne") else "")
    for d in _tensor._UNARY_DUNDERS:
        declare(f"__{d}__", f"__{d}__", "Tensor")
    return out


def tensor_block() -> str:
    """The block of ``class Tensor`` that declares, for type checkers, the operators
    ``install_operators`` sets and the slots' types."""
    lines = [
        "    if TYPE_CHECKING:",
        f"        # Written by `{COMMAND} --tensor-block` from the operator tables at the end of this module.",
        "        data: Any",
        "        grad: Any",
        "        ctx: Op | None",
        "",
    ]
    lines += [f"        {text}" for text in tensor_operators().values()]
    return "\n".join(lines) + "\n"


def write(out: Path, stubs: dict[str, str]) -> list[Path]:
    """Write ``stubs`` (from :func:`render`) under ``out``."""
    written = []
    for rel, text in stubs.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT, help="write DIR/acarray/*.pyi (default: the repository)")
    parser.add_argument("--tensor-block", action="store_true", help="print the typing block of Tensor's operators")
    args = parser.parse_args(argv)
    if args.tensor_block:
        print(tensor_block(), end="")
        return 0
    stubs, notes = render()
    for path in write(args.out, stubs):
        print(path)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
