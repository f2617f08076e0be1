"""Every function of the standard has the standard's signature, return type and a docstring of
its own on every backend; the namespaces export exactly their public names.

The reference is array-api-strict, whose functions carry the standard's signatures, except
where its defaults are sentinels of its own (the standard's stubs are then the truth)."""

from __future__ import annotations

import importlib.util
import inspect
import types

import array_api_strict as strict
import pytest

import acarray
from acarray._namespace import CONSTANTS, DTYPES, EXTRAS

STRICT_ONLY = {"get_array_api_strict_flags", "reset_array_api_strict_flags", "set_array_api_strict_flags",
               "ArrayAPIStrictFlags", "Device", "__version__"}

# Where array-api-strict's defaults are its own sentinels, the standard's stubs (2025.12).
STANDARD_STUBS = {
    "astype": "(x, dtype, /, *, copy=True, device=None)",
    "from_dlpack": "(x, /, *, device=None, copy=None)",
}
# acarray's own keyword-only parameters after the standard's (README: "Creating tensors").
EXTENSIONS = {"asarray": ("requires_grad",)}


def _available(name):
    module = {"cupy": "cupy"}.get(name, name)
    if importlib.util.find_spec(module) is None:
        return False
    if name == "cupy":
        try:
            import cupy

            return cupy.cuda.runtime.getDeviceCount() > 0
        except Exception:
            return False
    return True


BACKENDS = [pytest.param(n, marks=pytest.mark.skipif(not _available(n), reason=f"{n} is not installed here"))
            for n in acarray.BACKEND_NAMES]


def _plain(sig: inspect.Signature) -> str:
    """The signature without annotations: names, kinds and defaults."""
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


# 2025.12 added linalg.eig and linalg.eigvals; array-api-strict 2.6 has them but not in linalg.__all__.
ADDED_IN_2025 = {"linalg.": {"eig", "eigvals"}}


def _standard_functions():
    for part, module in (("", strict), ("linalg.", strict.linalg), ("fft.", strict.fft)):
        for name in sorted(set(module.__all__) - STRICT_ONLY | ADDED_IN_2025.get(part, set())):
            if inspect.isfunction(getattr(module, name)):
                yield part + name


STANDARD = list(_standard_functions())


def _get(ns, dotted):
    obj = ns
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def test_the_standard_list_is_complete():
    assert len(STANDARD) > 170  # 2025.12: about 135 functions and 40 in linalg and fft
    assert {"sum", "linalg.inv", "fft.fftfreq", "meshgrid", "searchsorted"} <= set(STANDARD)


@pytest.mark.parametrize("backend", BACKENDS)
def test_signatures_are_the_standards(backend):
    ns = acarray.namespace(backend)
    wrong = []
    for name in STANDARD:
        expected = STANDARD_STUBS.get(name) or _plain(inspect.signature(_get(strict, name)))
        sig = inspect.signature(_get(ns, name))
        extra = EXTENSIONS.get(name, ())
        if extra:
            kept = [p for p in sig.parameters.values() if p.name not in extra]
            added = [p for p in sig.parameters.values() if p.name in extra]
            assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in added), name
            sig = sig.replace(parameters=kept)
        if _plain(sig) != expected:
            wrong.append(f"{name}{_plain(sig)}, the standard: {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_function_has_its_own_docstring(backend):
    ns = acarray.namespace(backend)
    for name in STANDARD:
        if name == "__array_namespace_info__":
            continue  # the backend's own: what it describes (dtypes, devices) is the backend's
        fn = _get(ns, name)
        doc = inspect.getdoc(fn) or ""
        assert len(doc) > 20, f"{name}: no docstring"
        assert "{" not in doc.split("\n")[0], f"{name}: an unfilled template: {doc[:80]!r}"
        assert fn.__module__.startswith("acarray"), f"{name} is {fn.__module__}'s function, not acarray's"


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_namespaces_export_exactly_their_names(backend):
    ns = acarray.namespace(backend)
    standard = {n for n in STANDARD if "." not in n}
    dtypes = {d for d in DTYPES if hasattr(ns.backend.xp, d)}
    expected = standard | dtypes | set(CONSTANTS) | set(EXTRAS) | {"linalg", "fft", "__array_api_version__"}
    assert set(ns.__all__) == expected
    assert _public(ns) == {n for n in expected if not n.startswith("_")} | {"backend"}
    for part in ("linalg", "fft"):
        names = {n.partition(".")[2] for n in STANDARD if n.startswith(part + ".")}
        assert set(getattr(ns, part).__all__) == names
        assert _public(getattr(ns, part)) == names


def test_the_package_leaks_no_helpers():
    leaks = {"annotations", "importlib", "sys", "Backend", "backend_named", "default_backend_name"}
    assert not leaks & set(dir(acarray))
    assert set(acarray.__all__) <= set(dir(acarray))
    for name in acarray.__all__:
        getattr(acarray, name)
    import acarray.nn.functional as F

    assert not {"apply", "math", "annotations"} & set(dir(F))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian",
                                       "hessian", "hvp"])
def test_every_namespace_has_the_transforms(backend, transform):
    ns = acarray.namespace(backend)
    ours, default = getattr(ns, transform), getattr(acarray, transform)
    assert inspect.signature(ours) == inspect.signature(default) and ours.__doc__ == default.__doc__
    assert getattr(ns, transform).__name__ == ("jacrev" if transform == "jacobian" else transform)


# -- return types -------------------------------------------------------------------------

def _calls(xp):
    """A call of each function of the standard that returns a tuple or a named tuple."""
    m = xp.asarray([[2.0, 1.0], [1.0, 3.0]])
    v = xp.asarray([1.0, 2.0, 2.0])
    return {
        "broadcast_arrays": lambda: xp.broadcast_arrays(v, xp.asarray(1.0)),
        "meshgrid": lambda: xp.meshgrid(v, v),
        "nonzero": lambda: xp.nonzero(v),
        "unstack": lambda: xp.unstack(m),
        "broadcast_shapes": lambda: xp.broadcast_shapes((2, 1), (3,)),
        "unique_all": lambda: xp.unique_all(v),
        "unique_counts": lambda: xp.unique_counts(v),
        "unique_inverse": lambda: xp.unique_inverse(v),
        "linalg.eig": lambda: xp.linalg.eig(m),
        "linalg.eigh": lambda: xp.linalg.eigh(m),
        "linalg.qr": lambda: xp.linalg.qr(m),
        "linalg.slogdet": lambda: xp.linalg.slogdet(m),
        "linalg.svd": lambda: xp.linalg.svd(m),
    }


def _returns_tuple(name) -> bool:
    ann = inspect.signature(_get(strict, name)).return_annotation
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return "tuple" in str(ann).lower() or text.endswith("Result")


def test_every_tuple_returning_function_is_checked():
    xp = acarray.namespace("numpy")
    assert {n for n in STANDARD if _returns_tuple(n)} <= set(_calls(xp))


@pytest.mark.parametrize("backend", BACKENDS)
def test_tuples_where_the_standard_says_tuple(backend):
    xp = acarray.namespace(backend)
    s = acarray.namespace("array_api_strict")
    ours, theirs = _calls(xp), _calls(s)
    for name, call in ours.items():
        if backend == "dask" and name in ("linalg.eig", "linalg.eigh", "linalg.slogdet", "linalg.svd"):
            continue  # Dask has none of them, and svd only without full_matrices (README, Conformance)
        got = call()
        assert isinstance(got, tuple), f"{name} returns {type(got).__name__}, the standard says tuple"
        if hasattr(type(theirs[name]()), "_fields"):
            assert type(got)._fields == type(theirs[name]())._fields, name


def test_namespace_modules_are_modules():
    for backend in ("numpy", "array_api_strict"):
        ns = acarray.namespace(backend)
        assert isinstance(ns, types.ModuleType)
        assert isinstance(ns.linalg, types.ModuleType)


def test_every_member_of_tensor_has_a_docstring():
    skip = {"__slots__", "__module__", "__doc__", "__hash__", "__weakref__", "__annotations__", "__array_ufunc__",
            "__dict__", "__qualname__"}
    undocumented = [n for n, v in vars(acarray.Tensor).items()
                    if n not in skip and (not n.startswith("_") or n.startswith("__"))
                    and (callable(v) or isinstance(v, property)) and len((getattr(v, "__doc__", None) or "").strip()) < 10]
    assert not undocumented, f"Tensor members without a docstring: {undocumented}"


def test_every_function_of_special_and_nn_functional_has_a_docstring():
    import acarray.nn.functional as F

    for module in (acarray.special, F):
        for name in module.__all__:
            obj = getattr(module, name)
            assert len(inspect.getdoc(obj) or "") > 20, f"{module.__name__}.{name}: no docstring"
