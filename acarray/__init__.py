"""acarray: a differentiable array library on top of any array-API backend.

``import acarray as xp`` gives the namespace of the default backend (NumPy, or
``$ACARRAY_BACKEND``); ``acarray.numpy``, ``acarray.torch``, ``acarray.cupy``,
``acarray.jax``, ``acarray.dask`` and ``acarray.array_api_strict`` are the
namespaces of each backend, built on first use.
"""

import importlib as _importlib
import importlib.abc as _abc
import importlib.util as _util
import sys as _sys

from ._autograd import Op
from ._backend import BACKEND_NAMES
from ._backend import backend_named as _backend_named
from ._checkpoint import checkpoint
from ._function import custom_vjp
from ._namespace import default_namespace as _default_namespace
from ._namespace import namespace  # importing it hands Backend.ns its builder
from ._ops.arguments import AxisError
from ._tensor import Tensor

__version__ = "0.1.0"


class _NamespaceFinder(_abc.MetaPathFinder, _abc.Loader):
    """Makes ``import acarray.torch`` (and the other backends) return that backend's namespace."""

    def find_spec(self, fullname, path, target=None):
        pkg, _, name = fullname.partition(".")
        if pkg == "acarray" and name in BACKEND_NAMES:
            return _util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return _backend_named(spec.name.partition(".")[2]).ns

    def exec_module(self, module):
        pass


if not any(isinstance(f, _NamespaceFinder) for f in _sys.meta_path):
    _sys.meta_path.append(_NamespaceFinder())

_default = _default_namespace()
globals().update(
    {k: v for k, v in vars(_default).items() if not k.startswith("__") or k.startswith("__array")}
)
_sys.modules.setdefault("acarray.linalg", _default.linalg)
_sys.modules.setdefault("acarray.fft", _default.fft)
_sys.modules.setdefault("acarray.special", _default.special)

_SUBMODULES = ("nn", "optim", "viz", "testing", "serialization", "autograd", "scipy", "data")
__all__ = sorted({*_default.__all__, "namespace", "Op", "custom_vjp", "checkpoint", "AxisError", "CheckpointError", "load", "save",
                  "BACKEND_NAMES", "backend", "__version__"})


def __getattr__(name):
    if name in BACKEND_NAMES:
        return _backend_named(name).ns
    if name in _SUBMODULES:
        return _importlib.import_module(f"acarray.{name}")
    if name in ("save", "load", "CheckpointError"):
        return getattr(_importlib.import_module("acarray.serialization"), name)
    raise AttributeError(f"module 'acarray' has no attribute {name!r}")


def __dir__():
    """The public names: the namespace's, the submodules and the backends' namespaces."""
    return sorted({*__all__, *_SUBMODULES, *BACKEND_NAMES})
