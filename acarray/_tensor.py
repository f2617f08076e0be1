"""The :class:`Tensor`: a backend array plus what autograd needs to know about it."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import array_api_compat as compat

from . import _grad_mode
from ._backend import CORRECTED, backend_named, backend_of, default_backend_name
from ._grad_mode import recording

if TYPE_CHECKING:
    from types import EllipsisType, ModuleType

    from typing_extensions import Self

    from ._autograd import Op, RemovableHandle

_scalar_types = (int, float, complex)
_new = object.__new__
SUPPORTED_API_VERSIONS = ("2023.12", "2024.12", "2025.12")


class Tensor:
    """An array of any array-API backend that records the operations applied to it.

    ``data`` is the backend array (wrapping is zero-copy), ``grad`` the accumulated
    gradient (a backend array of the same shape and dtype, or ``None``), ``ctx``
    the :class:`~acarray.Op` that produced it (``None`` for leaves) and ``src``
    the tensors that op was applied to.  After ``backward(create_graph=True)``,
    ``grad`` is itself a Tensor carrying the graph of the backward pass.
    """

    __slots__ = ("data", "grad", "ctx", "_rg", "_b", "_oi", "_version", "__weakref__")
    __array_priority__ = 1000  # NumPy: let Tensor's reflected operators run
    __array_ufunc__ = None  # NumPy: never turn a Tensor into an object array

    if TYPE_CHECKING:
        # Written by `python tools/make_stubs.py --tensor-block` from the operator tables at the end of this module.
        data: Any
        grad: Any
        ctx: Op | None

        def __add__(self, other: Tensor | complex, /) -> Tensor: ...
        def __radd__(self, other: Tensor | complex, /) -> Tensor: ...
        def __iadd__(self, other: Tensor | complex, /) -> Self: ...
        def __sub__(self, other: Tensor | complex, /) -> Tensor: ...
        def __rsub__(self, other: Tensor | complex, /) -> Tensor: ...
        def __isub__(self, other: Tensor | complex, /) -> Self: ...
        def __mul__(self, other: Tensor | complex, /) -> Tensor: ...
        def __rmul__(self, other: Tensor | complex, /) -> Tensor: ...
        def __imul__(self, other: Tensor | complex, /) -> Self: ...
        def __truediv__(self, other: Tensor | complex, /) -> Tensor: ...
        def __rtruediv__(self, other: Tensor | complex, /) -> Tensor: ...
        def __itruediv__(self, other: Tensor | complex, /) -> Self: ...
        def __floordiv__(self, other: Tensor | float, /) -> Tensor: ...
        def __rfloordiv__(self, other: Tensor | float, /) -> Tensor: ...
        def __ifloordiv__(self, other: Tensor | float, /) -> Self: ...
        def __mod__(self, other: Tensor | float, /) -> Tensor: ...
        def __rmod__(self, other: Tensor | float, /) -> Tensor: ...
        def __imod__(self, other: Tensor | float, /) -> Self: ...
        def __pow__(self, other: Tensor | complex, /) -> Tensor: ...
        def __rpow__(self, other: Tensor | complex, /) -> Tensor: ...
        def __ipow__(self, other: Tensor | complex, /) -> Self: ...
        def __matmul__(self, other: Tensor, /) -> Tensor: ...
        def __rmatmul__(self, other: Tensor, /) -> Tensor: ...
        def __imatmul__(self, other: Tensor, /) -> Self: ...
        def __and__(self, other: Tensor | int, /) -> Tensor: ...
        def __rand__(self, other: Tensor | int, /) -> Tensor: ...
        def __iand__(self, other: Tensor | int, /) -> Self: ...
        def __or__(self, other: Tensor | int, /) -> Tensor: ...
        def __ror__(self, other: Tensor | int, /) -> Tensor: ...
        def __ior__(self, other: Tensor | int, /) -> Self: ...
        def __xor__(self, other: Tensor | int, /) -> Tensor: ...
        def __rxor__(self, other: Tensor | int, /) -> Tensor: ...
        def __ixor__(self, other: Tensor | int, /) -> Self: ...
        def __lshift__(self, other: Tensor | int, /) -> Tensor: ...
        def __rlshift__(self, other: Tensor | int, /) -> Tensor: ...
        def __ilshift__(self, other: Tensor | int, /) -> Self: ...
        def __rshift__(self, other: Tensor | int, /) -> Tensor: ...
        def __rrshift__(self, other: Tensor | int, /) -> Tensor: ...
        def __irshift__(self, other: Tensor | int, /) -> Self: ...
        def __eq__(self, other: Tensor | complex, /) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Tensor | complex, /) -> Tensor: ...  # type: ignore[override]
        def __lt__(self, other: Tensor | float, /) -> Tensor: ...
        def __le__(self, other: Tensor | float, /) -> Tensor: ...
        def __gt__(self, other: Tensor | float, /) -> Tensor: ...
        def __ge__(self, other: Tensor | float, /) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...

    def __init__(self, data: Any, *, requires_grad: bool = False) -> None:
        """A leaf tensor of ``data``: a backend array (wrapped as it is), a Tensor (its data, without
        its history) or Python scalars and lists (through the default namespace's ``asarray``)."""
        if isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, (_scalar_types, list, tuple)):
            data = backend_named(default_backend_name()).ns.asarray(data).data  # acarray.asarray
        self.data = data
        self._b = backend_of(data)
        self.grad = None
        self.ctx = None
        self._oi = None
        self._version = [0]
        self._rg = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data, b):
        """A new leaf around backend array ``data`` of backend ``b`` (no checks: internal)."""
        t = _new(Tensor)
        array_type = b.array_type
        if array_type is not None and data.__class__ is not array_type:
            data = b.as_array(data)  # NumPy ufuncs return scalars for 0-d results
        t.data = data
        t._b = b
        t.grad = None
        t.ctx = None
        t._oi = None
        t._version = [0]
        t._rg = False
        return t

    # -- autograd ---------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether a gradient flows to this tensor: set on leaves (``requires_grad_()``), and true
        of every result of an op on such a tensor while recording is on."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark this leaf as needing a gradient (floating or complex dtypes only)."""
        if requires_grad and not self._b.is_differentiable(self.data.dtype):
            raise TypeError(
                f"only floating-point and complex tensors can require grad, this one is {self.data.dtype}"
            )
        if not requires_grad and self.ctx is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; use detach()")
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """Whether this tensor was made by no recorded op (created, or detached); only leaves keep
        ``.grad`` unless ``retain_grad()`` was called."""
        return self.ctx is None

    @property
    def grad_fn(self) -> Op | None:
        """The recorded op that made this tensor (None for leaves), as PyTorch's ``grad_fn``."""
        return self.ctx

    @property
    def src(self) -> tuple[Tensor, ...]:
        """The tensors the op that produced this tensor was applied to (empty for leaves)."""
        return self.ctx.src if self.ctx is not None else ()

    def detach(self) -> Tensor:
        """The same data as a new leaf that does not require grad (no copy)."""
        t = Tensor._wrap(self.data, self._b)
        t._version = self._version
        return t

    def retain_grad(self) -> None:
        """Also store the gradient of this non-leaf tensor in ``.grad`` during backward."""
        if self.ctx is not None:
            _the_engine.retain(self.ctx, self._oi, self)

    def register_hook(self, hook: Callable[[Tensor], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` with this tensor's gradient whenever backward computes it; returns a
        handle whose ``remove()`` unregisters it.

        A leaf's hook sees its complete gradient of the pass before it is accumulated into
        ``.grad`` (or returned by ``autograd.grad``), a result's hook the complete gradient of that
        result before it flows on to what it was computed from.  ``grad`` is a Tensor: one that does
        not require grad around the gradient, or under ``create_graph=True`` the gradient itself,
        carrying its graph.  A result other than None replaces the gradient (it must have this
        tensor's shape, dtype and device).  Several hooks run in the order they were registered.
        As in PyTorch, a hook stays with the value the tensor had when it was registered: after an
        in-place change of the tensor it sees the gradient of the old value.  Refused (RuntimeError)
        on a tensor that does not require grad.
        """
        return _the_engine.add_hook(self, hook)

    def backward(self, grad=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
        _the_engine.run_backward([self], [grad], retain_graph=retain_graph or create_graph, create_graph=create_graph)

    # -- array attributes -------------------------------------------------------------

    @property
    def dtype(self) -> Any:
        """The backend's dtype object (``numpy.float64``, ``torch.float32``...), the namespace's own."""
        return self.data.dtype

    @property
    def device(self) -> Any:
        """The device of the data, as the backend names it ("cpu", a CuPy or PyTorch device)."""
        return compat.device(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, a tuple of ints (None for a size Dask does not know yet)."""
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> int | None:
        """The number of elements (None where a size is unknown, on Dask)."""
        return compat.size(self.data)

    @property
    def T(self) -> Tensor:
        """The transpose of a 2-D tensor (a ValueError for other ranks, as the standard says; use
        ``mT`` for stacks of matrices); differentiable."""
        if self.ndim != 2:
            raise ValueError(f"x.T requires a 2-D array, got {self.ndim}-D; use x.mT or permute_dims")
        return _f.permute_dims(self, (1, 0))

    @property
    def mT(self) -> Tensor:
        """The transpose of the last two axes (``matrix_transpose``); differentiable."""
        return _f.matrix_transpose(self)

    def to_device(self, device: Any, /, *, stream: Any = None) -> Tensor:
        """The tensor on ``device`` (differentiable; may change backend, e.g. CuPy to NumPy)."""
        return _f.to_device(self, device, stream=stream)

    def __array_namespace__(self, /, *, api_version: str | None = None) -> ModuleType:
        """acarray's namespace of this tensor's backend (``acarray.torch`` for a PyTorch-backed
        one), whose functions record gradients; a ValueError for an unsupported ``api_version``."""
        if api_version is not None and api_version not in SUPPORTED_API_VERSIONS:
            raise ValueError(
                f"unsupported array API version {api_version!r}; acarray supports "
                f"{', '.join(SUPPORTED_API_VERSIONS)}"
            )
        return self._b.ns

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The data through DLPack; refused for a tensor that requires grad (the gradient would stop
        there: export ``x.detach()``)."""
        if self._rg:
            raise RuntimeError("cannot export a tensor that requires grad through DLPack; use x.detach()")
        kwargs = {k: v for k, v in dict(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy).items() if v is not None}
        return self.data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """The DLPack device of the data."""
        return self.data.__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        """The values as a NumPy array (a view where the backend gives one, a copy with
        ``copy=True``); refused for a tensor that requires grad (use ``x.detach()``)."""
        if self._rg:
            if _grad_mode.custom_backward.graph:
                raise RuntimeError(
                    f"{_grad_mode.custom_backward.name}.backward converts a tensor to NumPy under "
                    "create_graph=True: that part of the gradient could not be recorded, so second "
                    "derivatives would be silently wrong. Compute backward with acarray's functions (the "
                    "namespace of its arguments, acarray.namespace(grad)), or mark it "
                    "@acarray.autograd.once_differentiable to refuse double backward explicitly"
                )
            raise TypeError(
                "refusing to convert a tensor that requires grad to a NumPy array: the gradient "
                "would silently stop here. Use x.detach() if that is what you want"
            )
        import numpy

        data = numpy.asarray(self.data)  # the backend's own conversion (a view where it can be one)
        return numpy.array(data, dtype=dtype) if copy is True else numpy.asarray(data, dtype=dtype)

    # -- copies and pickles -----------------------------------------------------------

    def __copy__(self):
        """A tensor of the same class sharing this one's data, history and gradient."""
        t = _new(type(self))
        for name in Tensor.__slots__:
            if name != "__weakref__":
                setattr(t, name, getattr(self, name))
        return t

    def __deepcopy__(self, memo):
        """A leaf of the same class with copies of ``data`` and ``grad``, requiring grad as this one does."""
        _check_leaf(self, "copied with deepcopy")
        xp = self._b.xp
        grad = self.grad.data if isinstance(self.grad, Tensor) else self.grad
        t = _rebuild(type(self), xp.asarray(self.data, copy=True), self._rg,
                     None if grad is None else xp.asarray(grad, copy=True))
        memo[id(self)] = t
        return t

    def __reduce__(self):
        """Pickled as its class, its backend array (pickled by its own library), whether it requires
        grad and its gradient: a leaf again when loaded."""
        _check_leaf(self, "pickled")
        return _rebuild, (type(self), self.data, self._rg, self.grad.data if isinstance(self.grad, Tensor) else self.grad)

    # -- Python conversions -----------------------------------------------------------

    def _scalar(self, what: str, kinds: str):
        """The data of a 0-d tensor of one of ``kinds``, for a Python conversion (the standard's rule)."""
        if self.data.ndim != 0:
            raise TypeError(f"{what}() needs a 0-d tensor, got shape {self.shape}; index or reshape it first")
        if self._b.kind(self.data.dtype) not in kinds:
            raise TypeError(f"{what}() is not defined for a tensor of dtype {self.data.dtype}")
        return self.data

    def __bool__(self):
        """A 0-d tensor as a Python bool (the standard's conversion; other shapes and dtypes
        are refused with a TypeError)."""
        return bool(self._scalar("bool", "bifc"))

    def __int__(self):
        """A 0-d tensor as a Python int (the standard's conversion; other shapes and dtypes
        are refused with a TypeError)."""
        return int(self._scalar("int", "bif"))

    def __float__(self):
        """A 0-d tensor as a Python float (the standard's conversion; other shapes and dtypes
        are refused with a TypeError)."""
        return float(self._scalar("float", "bif"))

    def __complex__(self):
        """A 0-d tensor as a Python complex (the standard's conversion; other shapes and dtypes
        are refused with a TypeError)."""
        return complex(self._scalar("complex", "bifc"))

    def __index__(self):
        """A 0-d tensor as an index (the standard's conversion; other shapes and dtypes
        are refused with a TypeError)."""
        return int(self._scalar("index", "i"))  # integer dtype checked; CuPy arrays lack __index__

    def item(self):
        """The value of a one-element tensor as a Python scalar."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        v = self.data
        if hasattr(v, "item"):
            return v.item()
        scalar = {"b": bool, "i": int, "f": float, "c": complex}[self._b.kind(v.dtype)]
        return scalar(self._b.xp.reshape(v, ()))

    def tolist(self):
        """The values as nested Python lists (through NumPy; the gradient stops here)."""
        import numpy

        return numpy.asarray(self.detach()).tolist()

    def __format__(self, spec):
        """A 0-d tensor formats as its Python scalar (``f"{loss:.4f}"``); others only without a spec."""
        if self.ndim == 0:
            return format(self.item(), spec)
        return super().__format__(spec)

    def __len__(self) -> int:
        """The size of the first axis (a TypeError for a 0-d tensor)."""
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first axis, each differentiable (``x[i, ...]``)."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i, ...] for i in range(self.shape[0]))

    def __repr__(self):
        """``tensor([...], backend=..., dtype=..., grad_fn=...)``."""
        b = self._b
        if b.numpy_readable:
            import numpy

            try:
                body = numpy.array2string(numpy.asarray(self.detach()), separator=", ", prefix="tensor(")
            except Exception:
                body = repr(self.data)
        else:
            body = repr(self.data)
        extra = [f"dtype={self.data.dtype}"]
        if b.repr_label:
            extra.insert(0, b.repr_label)
        if self.ctx is not None:
            extra.append(f"grad_fn={self.ctx!r}")
        elif self._rg:
            extra.append("requires_grad=True")
        return f"tensor({body}, {', '.join(extra)})"

    __hash__ = None  # type: ignore[assignment]

    # -- in-place operations ----------------------------------------------------------

    def _inplace(self, fn, other, raw_fn):
        """``self = fn(self, other)`` in place.

        When a gradient is involved the op is recorded and this tensor takes the
        new history (a leaf that requires grad refuses); otherwise the backend
        array is modified in place where the backend allows it.  Either way the
        version moves, so ops that saved this tensor notice; a recorded update
        writes into no array, so it gives this tensor a counter of its own and
        leaves saved outputs and views (which share the old one) valid.
        """
        other_rg = isinstance(other, Tensor) and other._rg
        if recording() and (self._rg or other_rg):
            if self._rg and self.ctx is None:
                raise RuntimeError(
                    "a leaf tensor that requires grad cannot be modified in place (its gradient would be "
                    "wrong); do it under `with acarray.no_grad():` or on a copy"
                )
            old = Tensor._wrap(self.data, self._b)
            old.ctx, old._oi, old._rg = self.ctx, self._oi, self._rg
            res = fn(old, other)
            if res.shape != self.shape:
                raise ValueError(
                    f"in-place operation would change the shape of the tensor from {self.shape} to {res.shape}"
                )
            if res.dtype != self.dtype:
                res = _f.astype(res, self.dtype)
            self.data, self.ctx, self._oi, self._rg = res.data, res.ctx, res._oi, res._rg
            # No array was written into: only ops that read this tensor object need to notice.
            self._version = [self._version[0] + 1]
            return self
        else:
            if isinstance(other, Tensor):
                if other._b is not self._b:
                    raise TypeError(
                        f"cannot mix arrays of two backends in one operation: {self._b.name} and {other._b.name}"
                    )
                other = other.data
            data = raw_fn(self.data, other)
            if data is not self.data and tuple(data.shape) != self.shape:  # no in-place form: a new array
                raise ValueError(
                    f"in-place operation would change the shape of the tensor from {self.shape} to {tuple(data.shape)}"
                )
            self.data = data
        self._version[0] += 1
        return self

    def __getitem__(self, key: int | slice | EllipsisType | Tensor | None | tuple[int | slice | EllipsisType | Tensor | None, ...]) -> Tensor:
        """``x[key]`` with the standard's keys (integers, slices, ``...``, None, integer arrays and
        boolean masks); differentiable, and refused with an IndexError naming the key otherwise."""
        return _f.getitem(self, key)

    def __setitem__(self, key: int | slice | EllipsisType | Tensor | None | tuple[int | slice | EllipsisType | Tensor | None, ...], value: Tensor | complex) -> None:
        """``x[key] = value`` in place, differentiable in ``x``'s other elements and in ``value``
        (see "In-place operations" in the README)."""
        _f.setitem(self, key, value)


# The autograd engine, a layer above this one (it imports Tensor), hands itself over with
# set_engine: what Tensor.backward, retain_grad and register_hook call (its run_backward, retain and add_hook).
_the_engine: Any = None


def set_engine(engine) -> None:
    """Make ``engine`` (a module or object with ``run_backward``, ``retain`` and ``add_hook``) the one
    that Tensor.backward, retain_grad and register_hook run (the engine calls this when it is imported)."""
    global _the_engine
    _the_engine = engine


def _check_leaf(t, what):
    if t.ctx is not None:
        raise RuntimeError(
            f"only leaf tensors can be {what}; this one was computed by {t.ctx.name} and carries its graph: "
            "detach() it first"
        )


def _rebuild(cls, data, requires_grad, grad):
    """A leaf of class ``cls`` around backend array ``data`` (what ``__reduce__`` and ``__deepcopy__`` make)."""
    t = _new(cls)
    Tensor.__init__(t, data)  # not cls's: Parameter and Buffer take other arguments
    t._rg = requires_grad  # as the copied tensor had it, so already checked
    t.grad = grad
    return t


# Operators, from one table: dunder name -> namespace function.
_BINARY_DUNDERS = {
    "add": "add",
    "sub": "subtract",
    "mul": "multiply",
    "truediv": "divide",
    "floordiv": "floor_divide",
    "mod": "remainder",
    "pow": "pow",
    "matmul": "matmul",
    "and": "bitwise_and",
    "or": "bitwise_or",
    "xor": "bitwise_xor",
    "lshift": "bitwise_left_shift",
    "rshift": "bitwise_right_shift",
}
_COMPARISON_DUNDERS = {
    "eq": "equal",
    "ne": "not_equal",
    "lt": "less",
    "le": "less_equal",
    "gt": "greater",
    "ge": "greater_equal",
}
_UNARY_DUNDERS = {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}


_f: Any = None  # the module of namespace functions, set by install_operators


def install_operators(functions, require_inplace):
    """Give Tensor its operators, from the module holding the namespace functions;
    ``require_inplace(fn, x, other)`` refuses an in-place update that would change x's dtype or
    shape."""
    global _f
    _f = functions

    def reflected(fn):
        def method(self, other):
            return fn(other, self)

        method.__doc__ = f"``{fn.__name__}(other, self)``, the reflected operator."
        return method

    def inplace(fn, raw, name):
        if name in CORRECTED:  # a backend may correct the function, and so its operator
            def method(self, other):
                require_inplace(fn, self, other)
                return self._inplace(fn, other, self._b.inplace_kernel(name, raw))
        else:
            def method(self, other):
                require_inplace(fn, self, other)
                return self._inplace(fn, other, raw)

        method.__doc__ = (f"``self = {fn.__name__}(self, other)`` in place: refused where the result would "
                          "change this tensor's dtype or shape; recorded when a gradient is involved.")
        return method

    for dunder, name in _BINARY_DUNDERS.items():
        fn = getattr(_f, name)
        setattr(Tensor, f"__{dunder}__", fn)  # a plain function binds as a method
        setattr(Tensor, f"__r{dunder}__", reflected(fn))
        raw = getattr(operator, f"i{dunder}")
        setattr(Tensor, f"__i{dunder}__", inplace(fn, raw, name))
    for dunder, name in _COMPARISON_DUNDERS.items():
        setattr(Tensor, f"__{dunder}__", getattr(_f, name))
    for dunder, name in _UNARY_DUNDERS.items():
        setattr(Tensor, f"__{dunder}__", getattr(_f, name))
