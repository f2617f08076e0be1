"""The report: one row per function of the standard, totals, and its Markdown file."""

from __future__ import annotations

from pathlib import Path

from .run import Row


def totals(rows: list[Row]) -> dict:
    differentiable = [r for r in rows if r.gradient.status != "n/a"]
    return {
        "functions": len(rows),
        "values ok": sum(r.values.status == "ok" for r in rows),
        "differentiable": len(differentiable),
        "gradients ok": sum(r.gradient.status == "ok" for r in rows),
        "second order ok": sum(r.second.status == "ok" for r in rows),
        "skipped": sum("skipped" in (r.values.status, r.gradient.status) for r in rows),
        "failed": sum(r.failed for r in rows),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(backend: str, rows: list[Row], *, max_examples: int, seconds: float, not_run: str | None = None) -> str:
    lines = [f"# acarray conformance report: {backend}", ""]
    if not_run:
        lines += [f"**Not run**: {not_run}. Nothing on this backend is known to pass.", ""]
        return "\n".join(lines)
    t = totals(rows)
    lines += [
        f"Up to {max_examples} examples per function (gradients: half as many, second order: a quarter), "
        f"compared with array-api-strict; {seconds:.0f} s.",
        "",
        " | ".join(f"{k}: {v}" for k, v in t.items()),
        "",
        "| function | values | gradient | second order | notes |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| `{r.name}` | {r.values.cell()} | {r.gradient.cell()} | {r.second.cell()} | {_cell(r.note)} |")
    return "\n".join(lines) + "\n"


def write(backend: str, text: str) -> Path:
    path = Path(__file__).resolve().parent / f"report-{backend}.md"
    path.write_text(text)
    return path


def console_table(rows: list[Row]) -> str:
    width = max(len(r.name) for r in rows)
    head = f"{'function':<{width}}  {'values':<10} {'gradient':<10} {'2nd order':<10} notes"
    out = [head, "-" * len(head)]
    for r in rows:
        note = r.note if r.failed or "skipped" in (r.values.status, r.gradient.status) else ""
        out.append(f"{r.name:<{width}}  {r.values.cell():<10} {r.gradient.cell():<10} {r.second.cell():<10} {note[:300]}")
    return "\n".join(out)
