"""acarray.viz: DOT and Mermaid text of the recorded graph; rendering when Graphviz is installed."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import acarray
import acarray.nn as nn
from acarray import viz


def _graph():
    layer = nn.Linear(3, 2)
    x = acarray.asarray(np.ones((4, 3), dtype=np.float32))
    return acarray.sum(nn.functional.relu(layer(x))), dict(layer.named_parameters())


def test_dot_lists_ops_tensors_and_edges():
    y, names = _graph()
    dot = viz.to_dot(y, names)
    assert dot.startswith("digraph acarray {") and dot.rstrip().endswith("}")
    for op in ("Linear", "Relu", "Sum"):
        assert re.search(rf'op\d+ \[shape=ellipse, label="{op}"\]', dot)
    assert 'label="weight (2, 3) float32, requires_grad"' in dot
    assert 'label="const (4, 3) float32"' in dot
    assert 'label="output () float32"' in dot
    assert re.search(r'op\d+ -> op\d+ \[label="\(4, 2\) float32"', dot)  # the intermediate tensor on its edge
    assert dot.count("->") == 6


def test_mermaid_has_the_same_graph():
    y, _ = _graph()
    text = viz.to_mermaid(y)
    assert text.startswith("flowchart LR")
    assert text.count("-->") == 6
    assert '(("Linear"))' in text and '-->|"(4, 2) float32"|' in text


def test_freed_graph_is_reported():
    y, _ = _graph()
    y.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        viz.to_dot(y)


def test_a_leaf_is_a_single_node():
    x = acarray.ones(3).requires_grad_()
    assert viz.to_mermaid(x).splitlines() == ["flowchart LR", '  t0["output (3,) float64, requires_grad"]']


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_writes_an_image(tmp_path, fmt, magic):
    y, _ = _graph()
    viz.render(y, tmp_path / f"g.{fmt}", format=fmt)
    assert magic in (tmp_path / f"g.{fmt}").read_bytes()[:200]


@pytest.mark.skipif(shutil.which("dot") is not None, reason="Graphviz is installed here")
def test_render_without_graphviz_says_what_is_missing(tmp_path):
    y, _ = _graph()
    with pytest.raises(RuntimeError, match="needs the Graphviz 'dot' program"):
        viz.render(y, tmp_path / "g.svg")
