"""``Module``: a tree of layers that owns Parameters and Buffers, and the containers.

Parameters, buffers and sub-modules are ordinary attributes; a module finds
them by type in the order they were assigned, so ``self.weight = Parameter(...)``
registers a parameter.  Names in ``state_dict()`` join attribute names with dots,
as in PyTorch, so state dicts of equivalent models line up.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import TYPE_CHECKING

import acarray

from .._autograd import RemovableHandle
from .._host import to_numpy
from .._namespace import DTYPES
from .functional import ShapeError
from .parameter import Buffer, Parameter, array_like, clear_grad, dtype_kind, is_array

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import ParamSpec, Protocol, TypeVar

    from .._tensor import Tensor

    _P = ParamSpec("_P")
    _R = TypeVar("_R", covariant=True)

    class _Forward(Protocol[_P, _R]):
        """A module as its call sees it: ``forward``'s parameters and result are the call's."""

        @property
        def forward(self) -> Callable[_P, _R]: ...


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


def dtype_name(t) -> str:
    """The array-API name of a tensor's dtype ("float32"), the same on every backend."""
    ns = t.__array_namespace__()
    for name in DTYPES:
        if getattr(ns, name, None) == t.dtype:
            return name
    raise TypeError(f"dtype {t.dtype} has no array API name")


class TensorList(list):
    """The list ``parameters()`` and ``buffers()`` return; ``next()`` also walks it, as it would
    PyTorch's generators (``next(model.parameters())``)."""

    __slots__ = ("_next",)

    def __next__(self):
        i = getattr(self, "_next", 0)
        if i >= len(self):
            raise StopIteration
        self._next = i + 1
        return self[i]


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys the state dict lacked and the keys nothing took
    (PyTorch's ``_IncompatibleKeys``; both lists are empty after a strict load)."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


_IncompatibleKeys = IncompatibleKeys


class StateDictKeyError(KeyError, RuntimeError):
    """A strict ``load_state_dict`` whose keys do not match (a KeyError, and a RuntimeError as in PyTorch)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


# Which dtype kinds a tensor of each kind takes values from when loading.
_LOADABLE_KINDS = {"f": "f", "c": "cf", "i": "i", "b": "b"}


def _check_name(module, name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{what} name can't be empty or contain \".\", got {name!r}")


def _hook_name(hook) -> str:
    return getattr(hook, "__qualname__", None) or type(hook).__name__


def _add_hook(module, attr, hook, prepend, with_kwargs, what):
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__}")
    hooks = vars(module).get(attr)
    if hooks is None:
        hooks = OrderedDict()
        setattr(module, attr, hooks)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = (hook, bool(with_kwargs))
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _forward(module, args, kwargs):
    """``module.forward(*args, **kwargs)``, a ShapeError raised in it naming the module."""
    try:
        return module.forward(*args, **kwargs)
    except ShapeError as e:
        if getattr(e, "layer", None) is None:
            err = ShapeError(f"{module!r}: {e}")
            err.layer = module
            raise err from None
        raise


class Module:
    """Base class of layers and models: subclasses set attributes in ``__init__`` and define ``forward``.

    A module or tensor reachable under several names (``nn.Sequential(lin, lin)``, tied weights
    ``decoder.weight = encoder.weight``) is listed once by ``parameters()``, ``named_parameters()``,
    ``buffers()``, ``modules()`` and their relatives, under its first name, as in PyTorch
    (``remove_duplicate=False`` lists every name); ``state_dict()`` keeps every name.
    """

    training = True
    # The forward hooks, handle id -> (hook, with_kwargs): a module gets dicts of its own on its first
    # registration, which deepcopy and pickle copy with the rest of its attributes, as PyTorch's.
    _forward_pre_hooks: OrderedDict | None = None
    _forward_hooks: OrderedDict | None = None

    def __call__(self: _Forward[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self._forward_pre_hooks or self._forward_hooks:  # type: ignore[attr-defined]
            return self._call_with_hooks(args, kwargs)  # type: ignore[attr-defined]
        return _forward(self, args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        """``__call__`` with the forward pre-hooks, ``forward`` and the forward hooks, as PyTorch runs them."""
        for hook, with_kwargs in list((self._forward_pre_hooks or {}).values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
                        raise RuntimeError(
                            f"forward pre-hook {_hook_name(hook)} of {type(self).__name__} registered with "
                            f"with_kwargs=True must return None or a tuple (args, kwargs), got {type(result).__name__}"
                        )
                    args, kwargs = result
                    args = args if isinstance(args, tuple) else (args,)
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = _forward(self, args, kwargs)
        for hook, with_kwargs in list((self._forward_hooks or {}).values()):
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Call ``hook(module, args)`` before every ``forward``; returns a handle whose ``remove()``
        unregisters it.

        ``args`` is the tuple of positional arguments; a result other than None replaces it (a value
        that is not a tuple becomes a 1-tuple).  With ``with_kwargs=True`` the hook is called as
        ``hook(module, args, kwargs)`` and returns None or ``(args, kwargs)``.  Hooks run in the order
        they were registered (``prepend=True``: before those already there).  They are copied by
        ``copy.deepcopy`` and pickling with the module, and are no part of ``state_dict()``.
        """
        return _add_hook(self, "_forward_pre_hooks", hook, prepend, with_kwargs, "register_forward_pre_hook")

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Call ``hook(module, args, output)`` after every ``forward``; returns a handle whose
        ``remove()`` unregisters it.

        ``args`` are the positional arguments ``forward`` was given (after the pre-hooks); a result
        other than None replaces the output (and is what the next hook sees).  With
        ``with_kwargs=True`` the hook is called as ``hook(module, args, kwargs, output)``.  Hooks run
        in the order they were registered (``prepend=True``: before those already there).  They are
        copied by ``copy.deepcopy`` and pickling with the module, and are no part of ``state_dict()``.
        """
        return _add_hook(self, "_forward_hooks", hook, prepend, with_kwargs, "register_forward_hook")

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # -- registering ------------------------------------------------------------------

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Keep ``tensor`` (a Tensor or backend array, or None) as buffer ``name``.

        A buffer that is not ``persistent`` moves with the module and is listed by ``buffers()``,
        but ``state_dict()`` leaves it out and ``load_state_dict`` does not expect it.
        """
        _check_name(self, name, "buffer")
        if name in vars(self) and not isinstance(vars(self)[name], (Buffer, type(None))):
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Buffer):
            if not is_array(tensor):
                raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (an array or None required)")
            tensor = Buffer(tensor)
        setattr(self, name, tensor)
        hidden = vars(self).setdefault("_non_persistent_buffers", set())
        (hidden.discard if persistent else hidden.add)(name)

    def register_parameter(self, name: str, param) -> None:
        """Keep ``param`` (a Parameter or None) as parameter ``name``."""
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(acarray.nn.Parameter or None required)")
        setattr(self, name, param)

    def add_module(self, name: str, module) -> None:
        """Keep ``module`` (a Module or None) as sub-module ``name``."""
        _check_name(self, name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        setattr(self, name, module)

    register_module = add_module

    # -- the tree -------------------------------------------------------------------

    def _child_items(self) -> list:
        """Every (name, sub-module) pair, a module held under two names twice."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def named_children(self):
        """The direct sub-modules by name, each module once."""
        seen = set()
        for k, v in self._child_items():
            if id(v) not in seen:
                seen.add(id(v))
                yield k, v

    def children(self):
        return (m for _, m in self.named_children())

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """This module and every one below it, by dotted name; each module once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._child_items():
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named_tensors(self, kind, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen = set()
        for mod_name, mod in modules:
            for k, v in vars(mod).items():
                if isinstance(v, kind):
                    if remove_duplicate:
                        if id(v) in seen:
                            continue
                        seen.add(id(v))
                    yield (f"{mod_name}.{k}" if mod_name else k), v

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, Parameter) pairs; a shared parameter once, under its first name, unless ``remove_duplicate=False``."""
        return self._named_tensors(Parameter, prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> TensorList:
        """Every parameter once (shared ones are not repeated), as a list that ``next()`` also walks."""
        return TensorList(p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_tensors(Buffer, prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> TensorList:
        return TensorList(b for _, b in self.named_buffers(recurse=recurse))

    # -- modes and gradients ------------------------------------------------------------

    def train(self, mode: bool = True):
        """Set training mode (``mode=False``: evaluation) on this module and every sub-module."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient, or with ``set_to_none=False`` set it to zeros in place."""
        for p in self.parameters():
            clear_grad(p, set_to_none)

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

    def _ignored_state_keys(self) -> tuple:
        """Names of entries that ``load_state_dict`` accepts for this module and does not load."""
        return ()

    def _state_items(self):
        """(dotted name, tensor) for every persistent parameter and buffer under every name it has."""
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            hidden = vars(mod).get("_non_persistent_buffers", ())
            for k, v in vars(mod).items():
                if isinstance(v, Parameter) or (isinstance(v, Buffer) and k not in hidden):
                    yield (f"{mod_name}.{k}" if mod_name else k), v

    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, as backend arrays (not copies;
        ``keep_vars=True``: the tensors).  A tensor shared by several modules appears under each name."""
        out = OrderedDict() if destination is None else destination
        for k, t in self._state_items():
            out[prefix + k] = t if keep_vars else t.data
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers (converted to each one's backend, dtype and device).

        ``state_dict`` maps dotted names to arrays of any backend (a PyTorch model's ``state_dict()``
        included).  With ``strict`` the keys must match exactly (a ``StateDictKeyError``, which is a
        KeyError and a RuntimeError); ``num_batches_tracked`` entries of batch-norm layers are accepted
        and not loaded.  Whatever ``strict``, every value must be an array of the tensor's shape and of
        its dtype kind (floating values cast to a floating tensor's precision, as in PyTorch); nothing
        is loaded unless all are.  Returns ``(missing_keys, unexpected_keys)`` as a named tuple.
        """
        who = f"load_state_dict for {type(self).__name__}"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{who}: expected a dict of arrays by name (what state_dict() returns), "
                            f"got {type(state_dict).__name__}")
        own = dict(self._state_items())
        ignored: set[str] = set()
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            ignored.update((f"{mod_name}.{k}" if mod_name else k) for k in mod._ignored_state_keys())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own and k not in ignored]
        if strict and (missing or unexpected):
            raise StateDictKeyError(f"{who}: missing keys {missing}, unexpected keys {unexpected}")
        not_arrays, shapes, dtypes = [], [], []
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if not is_array(v):
                not_arrays.append(f"{k}: expected an array, got {type(v).__name__}")
                continue
            shape = tuple(v.shape)
            if shape != t.shape:
                shapes.append(f"{k}: expected {t.shape}, got {shape}")
            if dtype_kind(v) not in _LOADABLE_KINDS[t._b.kind(t.dtype)]:
                dtypes.append(f"{k}: expected {dtype_name(t)}, got {v.dtype}")
        if not_arrays:
            raise TypeError(f"{who}: values must be arrays: {'; '.join(not_arrays)}")
        if shapes or dtypes:
            parts = ([f"wrong shapes: {'; '.join(shapes)}"] if shapes else []) + (
                [f"wrong dtypes: {'; '.join(dtypes)}"] if dtypes else [])
            raise ValueError(f"{who}: {'; '.join(parts)}")
        for k, t in own.items():
            if k in state_dict:
                t.data = array_like(state_dict[k], t)
                t._version[0] += 1
        return IncompatibleKeys(missing, unexpected)

    # -- printing -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        children = self._child_items()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({k}): " + repr(m).replace("\n", "\n  ") for k, m in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _index(container, i, n):
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for {type(container).__name__} of length {n}")
    return i % n


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b)`` or ``Sequential(OrderedDict(name=module))``.

    A module given twice is applied twice (and its parameters listed once).
    """

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for k, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"{type(self).__name__}: entry {k} is {type(m).__name__}, not a Module "
                                "(wrap functions in a Module)")
            self.add_module(k, m)

    def append(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.append: {type(module).__name__} is not a Module subclass")
        self.add_module(str(len(self)), module)
        return self

    def __getitem__(self, i):
        items = self._child_items()
        if isinstance(i, slice):
            return type(self)(OrderedDict(items[i]))
        return items[_index(self, i, len(items))][1]

    def __len__(self):
        return len(self._child_items())

    def __iter__(self):
        return iter([m for _, m in self._child_items()])

    def forward(self, x) -> Tensor:
        for m in self:
            x = m(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (a module may appear more than once)."""

    def __init__(self, modules=()):
        self.extend(modules)

    def append(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.append: {type(module).__name__} is not a Module subclass")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        items = self._child_items()
        if isinstance(i, slice):
            return ModuleList([m for _, m in items[i]])
        return items[_index(self, i, len(items))][1]

    def __setitem__(self, i, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: {type(module).__name__} is not a Module subclass")
        setattr(self, self._child_items()[_index(self, i, len(self))][0], module)

    def __len__(self):
        return len(self._child_items())

    def __iter__(self):
        return iter([m for _, m in self._child_items()])
