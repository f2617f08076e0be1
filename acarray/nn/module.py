"""``Module``: a tree of layers that owns Parameters and Buffers, and the containers.

Parameters, buffers and sub-modules are ordinary attributes; a module finds
them by type in the order they were assigned, so ``self.weight = Parameter(...)``
registers a parameter.  Names in ``state_dict()`` join attribute names with dots,
as in PyTorch, so state dicts of equivalent models line up.
"""

from __future__ import annotations

from collections import OrderedDict

import acarray

from .._namespace import DTYPES
from .._tensor import Tensor
from ..testing import to_numpy
from .functional import ShapeError


class Parameter(Tensor):
    """A leaf tensor that requires grad and belongs to a module."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)


class Buffer(Tensor):
    """A tensor a module keeps and saves but does not train (running statistics)."""

    __slots__ = ()

    def __init__(self, data):
        super().__init__(data.data if isinstance(data, Tensor) else data)


def resolve_factory(dtype=None, device=None, backend=None):
    """The namespace, dtype and device a layer creates its parameters with.

    ``backend`` is a name ("torch"), a namespace, or None for acarray's default
    backend; ``dtype`` a dtype of that backend or its name, float32 by default.
    """
    ns = acarray.namespace(backend) if backend is not None else acarray.backend.ns
    if dtype is None:
        dtype = ns.float32
    elif isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype name {dtype!r}")
        dtype = getattr(ns, dtype)
    return ns, dtype, device


def array_like(value, like):
    """``value`` (a Tensor or array of any backend) as a fresh raw array with the backend, dtype and device of ``like``."""
    ns = like.__array_namespace__()
    if isinstance(value, Tensor):
        value = value.detach() if value.__array_namespace__() is ns else ns.asarray(to_numpy(value))
    elif acarray.namespace(value) is not ns:
        value = ns.asarray(to_numpy(value))
    return ns.asarray(value, dtype=like.dtype, device=like.device, copy=True).data


def dtype_name(t) -> str:
    """The array-API name of a tensor's dtype ("float32"), the same on every backend."""
    ns = t.__array_namespace__()
    for name in DTYPES:
        if getattr(ns, name, None) == t.dtype:
            return name
    raise TypeError(f"dtype {t.dtype} has no array API name")


class Module:
    """Base class of layers and models: subclasses set attributes in ``__init__`` and define ``forward``."""

    training = True

    def __call__(self, *args, **kwargs):
        try:
            return self.forward(*args, **kwargs)
        except ShapeError as e:
            if getattr(e, "layer", None) is None:
                err = ShapeError(f"{self!r}: {e}")
                err.layer = self
                raise err from None
            raise

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # -- the tree -------------------------------------------------------------------

    def named_children(self):
        return ((k, v) for k, v in vars(self).items() if isinstance(v, Module))

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = ""):
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named_tensors(self, kind):
        for mod_name, mod in self.named_modules():
            for k, v in vars(mod).items():
                if isinstance(v, kind):
                    yield (f"{mod_name}.{k}" if mod_name else k), v

    def named_parameters(self):
        return self._named_tensors(Parameter)

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_buffers(self):
        return self._named_tensors(Buffer)

    def buffers(self):
        return [b for _, b in self.named_buffers()]

    # -- modes and gradients ------------------------------------------------------------

    def train(self, mode: bool = True):
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad: bool = True):
        """Have every parameter require grad, or not (to freeze part of a model)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn):
        """Call ``fn`` on every sub-module, children before parents, then on this one (custom initialisation)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- moving ---------------------------------------------------------------------------

    def _retensor(self, convert):
        for _, t in list(self._named_tensors((Parameter, Buffer))):
            t.data = convert(t)
            t._b = acarray.namespace(t.data).backend
            t.grad = None
            t._version[0] += 1
        return self

    def to_device(self, device):
        """Move every parameter and buffer to ``device`` (in place; the backend may change, e.g. CuPy to NumPy)."""
        return self._retensor(lambda t: t.detach().to_device(device).data)

    def to_backend(self, backend, device=None):
        """Move every parameter and buffer to another backend (a name or namespace), keeping dtypes."""
        ns = acarray.namespace(backend)

        def convert(t):
            values = ns.asarray(to_numpy(t))
            return ns.asarray(values, dtype=getattr(ns, dtype_name(t)), device=device).data

        return self._retensor(convert)

    # -- state ------------------------------------------------------------------------------

    def state_dict(self) -> OrderedDict:
        """Parameters and buffers by dotted name, as backend arrays (not copies)."""
        return OrderedDict((k, t.data) for k, t in self._named_tensors((Parameter, Buffer)))

    def load_state_dict(self, state: dict, strict: bool = True):
        """Copy values into the parameters and buffers (converted to each one's backend, dtype and device).

        With ``strict`` the keys must match exactly; shapes must always match.
        Errors name the keys or the shapes at fault.
        """
        own = dict(self._named_tensors((Parameter, Buffer)))
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, unexpected keys {unexpected}"
            )
        bad = []
        for k, t in own.items():
            if k in state:
                shape = tuple(state[k].shape)
                if shape != t.shape:
                    bad.append(f"{k}: expected {t.shape}, got {shape}")
        if bad:
            raise ValueError(f"load_state_dict for {type(self).__name__}: wrong shapes: {'; '.join(bad)}")
        for k, t in own.items():
            if k in state:
                t.data = array_like(state[k], t)
                t._version[0] += 1
        return self

    # -- printing -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({k}): " + repr(m).replace("\n", "\n  ") for k, m in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another."""

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def __getitem__(self, i):
        return list(self.children())[i]

    def __len__(self):
        return len(list(self.children()))

    def __iter__(self):
        return self.children()

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner."""

    def __init__(self, modules=()):
        for m in modules:
            self.append(m)

    def append(self, module: Module):
        setattr(self, str(len(self)), module)
        return self

    def __getitem__(self, i):
        return list(self.children())[i]

    def __len__(self):
        return sum(1 for _ in self.children())

    def __iter__(self):
        return self.children()
