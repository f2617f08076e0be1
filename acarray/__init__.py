"""acarray: a differentiable array library on top of any array-API backend.

``import acarray as xp`` gives the namespace of the default backend (NumPy, or
``$ACARRAY_BACKEND``); ``acarray.numpy``, ``acarray.torch``, ``acarray.cupy``,
``acarray.jax``, ``acarray.dask`` and ``acarray.array_api_strict`` are the
namespaces of each backend, built on first use.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

from . import autograd
from ._autograd import Op
from ._backend import BACKEND_NAMES, Backend, backend_named, default_backend_name
from ._grad_mode import enable_grad, is_grad_enabled, no_grad
from ._ops.arguments import AxisError
from ._tensor import Tensor
from .autograd import grad_of as grad
from .autograd import value_and_grad, vjp
from .serialization import CheckpointError, load, save

__version__ = "0.1.0"


def namespace(backend) -> object:
    """acarray's namespace for ``backend``: a name ("torch"), a namespace module, or an array."""
    from ._backend import backend_for_namespace, backend_of

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


class _NamespaceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``import acarray.torch`` (and the other backends) return that backend's namespace."""

    def find_spec(self, fullname, path, target=None):
        pkg, _, name = fullname.partition(".")
        if pkg == "acarray" and name in BACKEND_NAMES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return backend_named(spec.name.partition(".")[2]).ns

    def exec_module(self, module):
        pass


if not any(isinstance(f, _NamespaceFinder) for f in sys.meta_path):
    sys.meta_path.append(_NamespaceFinder())

_default = backend_named(default_backend_name()).ns
globals().update(
    {k: v for k, v in vars(_default).items() if not k.startswith("__") or k.startswith("__array")}
)
sys.modules.setdefault("acarray.linalg", _default.linalg)
sys.modules.setdefault("acarray.fft", _default.fft)
sys.modules.setdefault("acarray.special", _default.special)


def __getattr__(name):
    if name in BACKEND_NAMES:
        return backend_named(name).ns
    if name in ("nn", "optim", "viz"):
        return importlib.import_module(f"acarray.{name}")
    raise AttributeError(f"module 'acarray' has no attribute {name!r}")
