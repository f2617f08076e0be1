"""What the standard contains: every function and array member array-api-strict implements."""

from __future__ import annotations

import inspect

import array_api_strict as strict

# Members of array-api-strict that belong to array-api-strict, not to the standard.
_STRICT_ONLY = {
    "get_array_api_strict_flags", "set_array_api_strict_flags", "reset_array_api_strict_flags",
    "ArrayAPIStrictFlags", "requires_api_version", "requires_extension", "normalize_axis_tuple",
    "device_supports_dtype",
}
# Array members that are Python protocol or NumPy plumbing rather than the standard's array object.
_ARRAY_PLUMBING = {
    "__module__", "__annotations__", "__doc__", "__slots__", "__new__", "__reduce__", "__repr__", "__str__",
    "__buffer__", "__array__", "__iter__", "__weakref__", "__hash__", "__init__",
}


def _functions(module, prefix: str, own_module: str | None = None) -> list[str]:
    """Public functions of ``module`` listed in ``__all__``, plus those it defines itself.

    (array-api-strict 2.6 leaves linalg.eig and linalg.eigvals, new in 2025.12, out of
    ``linalg.__all__``, so defined functions are added.)
    """
    names = set(getattr(module, "__all__", ()))
    if own_module is not None:
        names |= {n for n, f in vars(module).items() if inspect.isfunction(f) and f.__module__ == own_module}
    return sorted(prefix + n for n in names
                  if n not in _STRICT_ONLY and not n.startswith("_") and callable(getattr(module, n, None))
                  and not inspect.isclass(getattr(module, n)))


def function_names() -> list[str]:
    """Every function of the standard: the main namespace, then linalg.*, then fft.*."""
    main = _functions(strict, "") + ["__array_namespace_info__"]
    return main + _functions(strict.linalg, "linalg.", "array_api_strict._linalg") + _functions(strict.fft, "fft.")


def array_member_names() -> list[str]:
    """Every method and attribute of the standard's array object, as ``Array.<name>``."""
    cls = type(strict.asarray(0))
    return ["Array." + n for n in cls.__dict__ if n not in _ARRAY_PLUMBING and (n.startswith("__") or not n.startswith("_"))]


def all_names() -> list[str]:
    return function_names() + array_member_names()
