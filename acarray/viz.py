"""Pictures of the recorded graph behind a tensor: Graphviz DOT and Mermaid text, SVG/PNG via Graphviz.

Nodes are the tensors (shape, dtype, whether they require grad; leaves
that require grad are highlighted) and the ops that combine them.  The
graph must not have been freed: draw it before ``backward()``, or pass
``retain_graph=True`` to it.
"""

from __future__ import annotations

import shutil
import subprocess

from ._autograd import edge_target
from ._tensor import Tensor


def _describe(t) -> str:
    return f"{tuple(t.shape)} {str(t.dtype).rsplit('.', 1)[-1]}"


def _graph(root: Tensor, names: dict | None):
    """Tensor nodes ``{key: label}``, op nodes ``{key: label}`` and edges ``[(source, target, label)]``.

    Keys are short sequential ids; edges between two ops carry the shape and
    dtype of the intermediate tensor.
    """
    by_id = {id(t): n for n, t in (names or {}).items()}
    keys: dict = {}
    tensors: dict[str, str] = {}
    ops: dict[str, str] = {}
    edges: list[tuple[str, str, str | None]] = []

    def key(obj, prefix):
        return keys.setdefault(id(obj), f"{prefix}{len(keys)}")

    def add_tensor(t, role):
        k = key(t, "t")
        if k not in tensors:
            flag = ", requires_grad" if t.requires_grad and t.is_leaf else ""
            tensors[k] = f"{by_id.get(id(t), role)} {_describe(t)}{flag}".strip()
        return k

    out = add_tensor(root, "output")
    if root.ctx is None:
        return tensors, ops, edges
    edges.append((key(root.ctx, "op"), out, None))
    stack, seen = [root.ctx], {id(root.ctx)}
    while stack:
        op = stack.pop()
        if op.args is None:
            raise RuntimeError(f"the graph through {op.name} was freed by backward(); draw it before backward() "
                               "or call backward(retain_graph=True)")
        ops[key(op, "op")] = op.name
        for arg, edge in zip(op.args, op.next):
            if not isinstance(arg, Tensor):
                continue
            producer = edge_target(edge)[0]  # None for an argument that needs no gradient
            if producer is None or isinstance(producer, Tensor):
                edges.append((add_tensor(arg, "" if arg.requires_grad else "const"), key(op, "op"), None))
                continue
            edges.append((key(producer, "op"), key(op, "op"), _describe(arg)))
            if id(producer) not in seen:
                seen.add(id(producer))
                stack.append(producer)
    return tensors, ops, edges


def to_dot(t: Tensor, names: dict | None = None, title: str = "acarray") -> str:
    """The graph that produced ``t`` in Graphviz DOT: boxes for tensors, ellipses for ops.

    ``names`` maps labels to tensors (``dict(model.named_parameters())``) to name them in the picture.
    """
    tensors, ops, edges = _graph(t, names)
    lines = [f"digraph {title} {{", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for k, label in tensors.items():
        fill = "lightblue" if "requires_grad" in label else "white"
        lines.append(f'  {k} [shape=box, style=filled, fillcolor={fill}, label="{label}"];')
    lines += [f'  {k} [shape=ellipse, label="{label}"];' for k, label in ops.items()]
    lines += [f"  {a} -> {b}" + (f' [label="{label}", fontsize=9]' if label else "") + ";" for a, b, label in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(t: Tensor, names: dict | None = None) -> str:
    """The graph that produced ``t`` as a Mermaid flowchart (renders in GitHub Markdown)."""
    tensors, ops, edges = _graph(t, names)
    lines = ["flowchart LR"]
    lines += [f'  {k}["{label}"]' for k, label in tensors.items()]
    lines += [f'  {k}(("{label}"))' for k, label in ops.items()]
    lines += [f"  {a} -->" + (f'|"{label}"|' if label else "") + f" {b}" for a, b, label in edges]
    return "\n".join(lines) + "\n"


def render(t: Tensor, path, format: str = "svg", names: dict | None = None) -> None:
    """Write the graph of ``t`` as SVG or PNG to ``path`` with Graphviz's ``dot`` program (must be installed)."""
    if format not in ("svg", "png"):
        raise ValueError(f"format must be 'svg' or 'png', got {format!r}")
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("rendering needs the Graphviz 'dot' program on PATH (e.g. apt install graphviz); "
                           "to_dot() and to_mermaid() give the text without it")
    subprocess.run([dot, f"-T{format}", "-o", str(path)], input=to_dot(t, names).encode(), check=True)
