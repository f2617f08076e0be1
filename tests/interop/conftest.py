"""SciPy reads SCIPY_ARRAY_API once, when it is first imported, so it is set here.

pytest imports tests/conftest.py, then this file, before any module of this
directory; a test module elsewhere that imports SciPy at module level and is
collected earlier would switch SciPy's array-API support off for the whole run,
which the check below turns into a clear error instead of confusing failures.
"""

from __future__ import annotations

import os
import sys

os.environ["SCIPY_ARRAY_API"] = "1"

if "scipy" in sys.modules:
    from scipy._lib._array_api import SCIPY_ARRAY_API

    if not SCIPY_ARRAY_API:
        raise RuntimeError(
            "SciPy was imported before tests/interop/conftest.py could set SCIPY_ARRAY_API=1; "
            "import SciPy lazily in the module that did it, or set SCIPY_ARRAY_API=1 in the environment"
        )
