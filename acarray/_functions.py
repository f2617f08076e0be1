"""Every array-API function acarray implements that works on any backend's tensors.

The functions dispatch on their arguments, so one object serves all backends; only creation
and data-type functions are bound to a backend (``_ops.creation``).  :data:`SHARED` holds
them by name, each rules module's ``__all__`` giving its own, with the argument checks of
``_ops.arguments`` applied; this module's globals hold the unchecked ones, for Tensor's
operators and methods (their arguments are checked by the operators themselves).
"""

from __future__ import annotations

import sys

from ._ops import elementwise, indexing, linalg, manipulation, reductions, searching
from ._ops.arguments import check_key, checked
from ._ops.creation import to_device  # noqa: F401  (for Tensor.to_device: the standard has it as a method only)
from ._ops.dtype_rules import require_inplace

# The rules modules whose ``__all__`` are functions of the main namespace, and the functions
# of the main namespace that the linalg extension's module defines.
_MODULES = (elementwise, indexing, manipulation, reductions, searching)
_BORROWED = {linalg: ("matmul", "tensordot", "vecdot")}


def _rows() -> dict:
    rows = {name: getattr(m, name) for m in _MODULES for name in m.__all__}
    rows.update({name: getattr(m, name) for m, names in _BORROWED.items() for name in names})
    return rows


_UNCHECKED = _rows()
globals().update(_UNCHECKED)


def getitem(x, key):
    """``x[key]``, the key checked first (see :func:`check_key`)."""
    check_key(key, x.shape)
    return indexing.getitem(x, key)


def setitem(x, key, value):
    """``x[key] = value``, the key checked first."""
    check_key(key, x.shape)
    indexing.setitem(x, key, value)


SHARED = {name: checked(name, fn) for name, fn in sorted(_UNCHECKED.items())}

from ._tensor import install_operators  # noqa: E402

install_operators(sys.modules[__name__], require_inplace)
