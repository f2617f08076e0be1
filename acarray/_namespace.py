"""acarray's namespace for one backend, built once: ``acarray.numpy``, ``acarray.torch``...

It is a real module object (hashable, with ``__name__``, as SciPy expects of a
namespace) holding the shared differentiable functions, the creation and
data-type functions bound to the backend, the backend's own dtype objects and
constants, the ``linalg`` and ``fft`` extensions and ``special``.
"""

from __future__ import annotations

import sys
import types

from ._backend import (
    Backend,
    backend_for_namespace,
    backend_named,
    backend_of,
    default_backend_name,
    set_namespace_builder,
)
from ._functions import SHARED
from ._grad_mode import enable_grad, is_grad_enabled, no_grad
from ._ops.arguments import checked
from ._ops.creation import bound_functions
from ._ops.fft import FFT_FUNCTIONS
from ._ops.linalg import __all_linalg__ as LINALG
from ._ops.special import FUNCTIONS as SPECIAL
from ._tensor import Tensor
from ._transforms import transforms_for

API_VERSION = "2025.12"
DTYPES = (
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64 complex128"
).split()
CONSTANTS = ("e", "inf", "nan", "pi", "newaxis")


# What every namespace holds beside the standard's functions, dtypes and constants.
EXTRAS = ("Tensor", "no_grad", "enable_grad", "is_grad_enabled", *transforms_for(), "special")


def _module(name: str, doc: str, members: dict) -> types.ModuleType:
    """A module of ``members``, its ``__all__`` their public names."""
    mod = types.ModuleType(name, doc)
    mod.__dict__.update(members)
    mod.__all__ = sorted(n for n in members if (not n.startswith("_") or n.startswith("__array")) and n != "backend")  # type: ignore[attr-defined]
    return mod


def namespace_for(b) -> types.ModuleType:
    """Build acarray's namespace module for backend ``b`` (cached on the backend)."""
    name = f"acarray.{b.name}"
    bound = bound_functions(b)
    fft_creation = bound.pop("fft_creation")
    bound = {n: checked(n, f) for n, f in bound.items()}
    members = dict(SHARED)
    members.update(bound)
    members.update({d: getattr(b.xp, d) for d in DTYPES if hasattr(b.xp, d)})
    members.update({c: getattr(b.xp, c, None) for c in CONSTANTS})
    members.update(
        __array_api_version__=API_VERSION,
        __array_namespace_info__=b.xp.__array_namespace_info__,
        Tensor=Tensor,
        no_grad=no_grad,
        enable_grad=enable_grad,
        is_grad_enabled=is_grad_enabled,
        backend=b,
        **transforms_for(b),  # Python numbers differentiated by acarray.torch.grad become torch tensors
    )
    linalg = _module(f"{name}.linalg", "The linalg extension, differentiable.",
                     {n: checked(f"linalg.{n}", f) for n, f in LINALG.items()})
    fft = _module(f"{name}.fft", "The fft extension, differentiable.",
                  {n: checked(f"fft.{n}", f) for n, f in {**FFT_FUNCTIONS, **fft_creation}.items()})
    special = _module(f"{name}.special", "Special functions (SciPy's names), differentiable.", dict(SPECIAL))
    members.update(linalg=linalg, fft=fft, special=special)
    ns = _module(name, f"acarray's differentiable array API namespace on {b.name}.", members)
    sys.modules.setdefault(name, ns)
    sys.modules.setdefault(f"{name}.linalg", linalg)
    sys.modules.setdefault(f"{name}.fft", fft)
    sys.modules.setdefault(f"{name}.special", special)
    return ns


set_namespace_builder(namespace_for)


def namespace(backend) -> types.ModuleType:
    """acarray's namespace for ``backend``: a name ("torch"), a Backend, a namespace module
    (``numpy``, ``acarray.torch``) or an array or Tensor of the backend."""
    if isinstance(backend, str):
        return backend_named(backend).ns
    if isinstance(backend, Backend):
        return backend.ns
    if isinstance(backend, Tensor):
        return backend._b.ns
    own = getattr(backend, "backend", None)  # one of acarray's namespaces (acarray, acarray.torch)
    if isinstance(own, Backend):
        return own.ns
    if hasattr(backend, "__array_namespace_info__") and not hasattr(backend, "shape"):
        return backend_for_namespace(backend).ns
    return backend_of(backend).ns


def default_namespace() -> types.ModuleType:
    """The namespace of the default backend (``import acarray as xp``: NumPy or ``$ACARRAY_BACKEND``)."""
    return backend_named(default_backend_name()).ns
