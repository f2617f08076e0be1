"""One mypy run over a snippet of ``reveal_type`` calls, with the project's configuration."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def assert_reveals(tmp_path, monkeypatch, head: str, revealed) -> None:
    """mypy reveals, for each ``(code, expected)`` of ``revealed``, the type ``expected`` of
    ``code`` after the statements ``head``; the snippet type-checks without errors."""
    api = pytest.importorskip("mypy.api")
    head = textwrap.dedent(head)
    path = tmp_path / "snippet.py"
    path.write_text(head + "".join(f"reveal_type({code})\n" for code, _ in revealed))
    first = len(head.splitlines()) + 1
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    out, err, status = api.run([
        "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
        "--follow-imports", "silent", "--show-traceback", "--no-error-summary", str(path),
    ])
    found = dict(re.findall(r":(\d+): note: Revealed type is \"(.*)\"", out))
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 0 and not errors, f"mypy found errors in the snippet:\n{out}{err}"
    for i, (code, expected) in enumerate(revealed):
        got = found.get(str(first + i))
        assert got is not None and got.replace("builtins.", "") == expected.replace("builtins.", ""), (
            f"reveal_type({code}) is {got!r}, expected {expected!r}")
