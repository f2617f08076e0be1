"""Fused element-wise, affine and normalising ops: linear, relu, sigmoid, (log-)softmax,
softmax cross-entropy and layer norm.

Each computes its forward pass on raw arrays in one go and has a backward rule
with exactly the products a hand-written gradient would use.  Rules are
written against ``xp`` only, so with ``create_graph=True`` they are recorded
and differentiate again.
"""

from __future__ import annotations

from ..._autograd import Op
from ..._tensor import Tensor
from .util import count_valid_labels, one_hot


class Linear(Op):
    """``x @ w.T + b`` for ``x`` of shape ``(..., in)``, ``w`` of ``(out, in)``, ``b`` of ``(out,)`` or None."""

    saves_inputs = True

    def forward(self, xp, x, w, b):
        y = xp.matmul(x, xp.matrix_transpose(w))
        if b is not None:
            y += b
        return y

    def backward(self, xp, g, inputs, out):
        x, w, b = inputs
        # An edge is None where no gradient is needed: what self.needs says, read without building a tuple.
        ex, ew, eb = self.next
        gx = xp.matmul(g, w) if ex is not None else None
        g2 = xp.reshape(g, (-1, g.shape[-1])) if g.ndim != 2 else g
        gw = gb = None
        if ew is not None:
            gw = xp.matmul(xp.matrix_transpose(g2), xp.reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x)
        if eb is not None:
            gb = xp.sum(g2, axis=0)
        return gx, gw, gb


class Relu(Op):
    """``max(x, 0)``; the gradient is ``g * (out > 0)``, a multiply into the fresh mask array
    (NumPy's ``where`` is many times slower, and each new large array costs page faults)."""

    saves_output = True

    def forward(self, xp, x):
        return xp.maximum(x, 0.0)

    def backward(self, xp, g, inputs, out):
        mask = xp.astype(out > 0, g.dtype)
        mask *= g
        return (mask,)


class Sigmoid(Op):
    saves_output = True

    def forward(self, xp, x):
        e = xp.exp(-xp.abs(x))  # never overflows
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, xp, g, inputs, out):
        return (g * out * (1 - out),)


class LogSoftmax(Op):
    saves_output = True

    def forward(self, xp, x, *, axis):
        self.axis = axis
        s = x - xp.max(x, axis=axis, keepdims=True)
        return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))

    def backward(self, xp, g, inputs, out):
        return (g - xp.exp(out) * xp.sum(g, axis=self.axis, keepdims=True),)


class Softmax(Op):
    saves_output = True

    def forward(self, xp, x, *, axis):
        self.axis = axis
        e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
        return e / xp.sum(e, axis=axis, keepdims=True)

    def backward(self, xp, g, inputs, out):
        return (out * (g - xp.sum(g * out, axis=self.axis, keepdims=True)),)


class SoftmaxCrossEntropy(Op):
    """Loss ``-sum(q * log_softmax(logits))`` per row, for logits ``(N, C)`` and class indices ``(N,)``.

    ``q`` is the one-hot target smoothed by ``smoothing`` and zeroed in rows whose
    target is ``ignore_index``.  The op checks the indices: each must be in
    ``[0, C)`` or equal ``ignore_index`` (a ValueError otherwise).  In the common
    case, ``ignore_index`` outside ``[0, C)``, that check is one count of the
    one-hot's nonzeros (one host sync); only when it finds a row not in range,
    or ``ignore_index`` could match a class, are the indices compared one by
    one.  ``reduction`` "sum" and "mean" (over the rows not ignored) are folded
    in as a ``scale`` of the summed rows; "none" returns the ``(N,)`` rows.  The
    gradient is ``g * (softmax * keep - q)``, ``keep`` being 0 in ignored rows.
    """

    saves_inputs = True

    def _parts(self, xp, logits, target, hot=None):
        """Log-probabilities, ``q``, and ``keep`` as an ``(N, 1)`` column of 0/1 (None: all rows kept);
        ``hot`` is the one-hot of ``target`` where the caller has it."""
        n_classes = logits.shape[1]
        logp = logits - xp.max(logits, axis=1, keepdims=True)
        logp = logp - xp.log(xp.sum(xp.exp(logp), axis=1, keepdims=True))
        q = one_hot(xp, target, n_classes, logits.dtype) if hot is None else hot
        if self.smoothing:
            q = q * (1 - self.smoothing) + self.smoothing / n_classes
        keep = None
        if self.ignore_index is not None:
            keep = xp.astype(xp.reshape(target, (-1, 1)) != self.ignore_index, logits.dtype)
            q = q * keep
        return logp, q, keep

    def forward(self, xp, logits, target, *, ignore_index, smoothing, reduction):
        n, n_classes = logits.shape
        hot = one_hot(xp, target, n_classes, logits.dtype)  # a zero row where an index is outside [0, C)
        count = n
        if n and (0 <= ignore_index < n_classes or int(xp.count_nonzero(hot)) != n):
            count = count_valid_labels(xp, target, n_classes, ignore_index, "cross_entropy")
        self.ignore_index = ignore_index if count < n else None
        self.smoothing = smoothing
        self.scale = None if reduction == "none" else 1.0 if reduction == "sum" else 1 / max(count, 1)
        self.parts = logp, q, _ = self._parts(xp, logits, target, hot)
        if self.scale is None:
            return -xp.sum(q * logp, axis=1)
        return xp.sum(q * logp) * -self.scale

    def backward(self, xp, g, inputs, out):
        # Recorded backward passes recompute the parts from the inputs, so that they differentiate again.
        logp, q, keep = self._parts(xp, *inputs) if isinstance(inputs[0], Tensor) else self.parts
        p = xp.exp(logp)
        d = (p if keep is None else p * keep) - q
        d *= g * self.scale if self.scale is not None else xp.reshape(g, (-1, 1))  # d is fresh; Sub saves nothing
        return (d, None)


class LayerNorm(Op):
    """Normalise over the trailing ``axes``, then scale by ``w`` and shift by ``b`` (either may be None)."""

    saves_inputs = True

    def _normalised(self, xp, x):
        mu = xp.mean(x, axis=self.axes, keepdims=True)
        xc = x - mu
        rstd = 1 / xp.sqrt(xp.mean(xc * xc, axis=self.axes, keepdims=True) + self.eps)
        return xc * rstd, rstd

    def forward(self, xp, x, w, b, *, axes, eps):
        self.axes, self.eps = axes, eps
        y, _ = self._normalised(xp, x)
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y

    def backward(self, xp, g, inputs, out):
        x, w, b = inputs
        xhat, rstd = self._normalised(xp, x)
        gh = g * w if w is not None else g
        gx = None
        if self.needs[0]:
            mean = lambda a: xp.mean(a, axis=self.axes, keepdims=True)  # noqa: E731
            gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat))
        # The engine sums these over the leading axes, down to the shape of w and b.
        return gx, g * xhat if self.needs[1] else None, g if self.needs[2] else None


def _erf(xp, x):
    """Error function (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7; not in the standard)."""
    a = xp.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return xp.sign(x) * (1 - poly * xp.exp(-a * a))


class Gelu(Op):
    """``x * Phi(x)`` with the normal CDF ``Phi``; the gradient ``Phi(x) + x * phi(x)`` uses the exact density."""

    saves_inputs = True

    def forward(self, xp, x):
        return x * (0.5 * (1 + _erf(xp, x * 0.7071067811865476)))

    def backward(self, xp, g, inputs, out):
        x = inputs[0]
        cdf = 0.5 * (1 + _erf(xp, x * 0.7071067811865476))
        return (g * (cdf + x * xp.exp(-0.5 * x * x) * 0.3989422804014327),)
