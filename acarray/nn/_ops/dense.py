"""Fused element-wise, affine and normalising ops: linear, relu, sigmoid, softplus, (log-)softmax,
softmax cross-entropy (against class indices or probabilities), binary cross-entropy (of
probabilities and of logits), layer norm, the normal CDF and gelu.

Each computes its forward pass on raw arrays in one go and has a backward rule
with exactly the products a hand-written gradient would use.  Rules are
written against ``xp`` only, so with ``create_graph=True`` they are recorded
and differentiate again.
"""

from __future__ import annotations

from ..._autograd import Op
from ..._ops.common import apply_or_value
from .util import count_valid_labels, device_of, one_hot


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
    (NumPy's ``where`` is many times slower, and each new large array costs page faults).
    As in PyTorch a NaN input passes the gradient on (the mask is ``not out <= 0``)."""

    saves_output = True

    def forward(self, xp, x):
        return xp.maximum(x, 0.0)

    def backward(self, xp, g, inputs, out):
        mask = xp.astype(xp.logical_not(out <= 0), g.dtype)
        mask *= g
        return (mask,)


class Sigmoid(Op):
    saves_output = True

    def forward(self, xp, x):
        return _sigmoid_value(xp, x)

    def backward(self, xp, g, inputs, out):
        return (g * out * (1 - out),)


def _log_softmax_value(xp, x, axis):
    s = x - xp.max(x, axis=axis, keepdims=True)
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


class LogSoftmax(Op):
    saves_output = True

    def forward(self, xp, x, *, axis):
        self.axis = axis
        return _log_softmax_value(xp, x, axis)

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

    A term whose ``q`` is 0 counts for nothing, also where its log-probability is
    ``-inf`` (a masked logit) or NaN (an ignored row of ``-inf`` logits).  The
    log-probabilities and ``q`` of the forward pass serve the first backward
    pass, which frees them (the graph then holds only the inputs); a second one,
    through a retained graph, recomputes them from the inputs.
    """

    saves_inputs = True

    def _parts(self, xp, logits, target, hot=None):
        """Log-probabilities, ``q``, and ``keep`` as an ``(N, 1)`` boolean column (None: all rows
        kept); ``hot`` is the one-hot of ``target`` where the caller has it."""
        n_classes = logits.shape[1]
        logp = logits - xp.max(logits, axis=1, keepdims=True)
        logp = logp - xp.log(xp.sum(xp.exp(logp), axis=1, keepdims=True))
        q = one_hot(xp, target, n_classes, logits.dtype) if hot is None else hot
        if self.smoothing:
            q = q * (1 - self.smoothing) + self.smoothing / n_classes
        keep = None
        if self.ignore_index is not None:
            keep = xp.reshape(target, (-1, 1)) != self.ignore_index
            q = q * xp.astype(keep, logits.dtype)
        return logp, q, keep

    def forward(self, xp, logits, target, *, ignore_index, smoothing, reduction):
        n, n_classes = logits.shape
        eq = target[..., None] == xp.arange(n_classes, device=device_of(target))  # a False row outside [0, C)
        hot = xp.astype(eq, logits.dtype)
        count = n
        if n and (0 <= ignore_index < n_classes or int(xp.count_nonzero(hot)) != n):
            count = count_valid_labels(xp, target, n_classes, ignore_index, "cross_entropy")
        self.ignore_index = ignore_index if count < n else None
        self.smoothing = smoothing
        self.scale = None if reduction == "none" else 1.0 if reduction == "sum" else 1 / max(count, 1)
        logp, q, keep = self._parts(xp, logits, target, hot)
        self.saved = xp, logp, q, keep
        if smoothing:  # q > 0 in every row kept
            terms = q * logp if keep is None else xp.where(keep, q * logp, 0.0)
        else:  # q is 0 or 1: pick the log-probabilities where it is 1
            terms = xp.where(eq if keep is None else xp.logical_and(eq, keep), logp, 0.0)
        if self.scale is None:
            return -xp.sum(terms, axis=1)
        return xp.sum(terms) * -self.scale

    def backward(self, xp, g, inputs, out):
        saved, self.saved = self.saved, None
        # The parts of the forward pass serve a pass in the namespace that computed them; a recorded
        # pass (acarray's namespace) recomputes them from the inputs, so that they differentiate again.
        if saved is not None and saved[0] is xp:
            _, logp, q, keep = saved
        else:
            logp, q, keep = self._parts(xp, *inputs)
        p = xp.exp(logp)
        d = (p if keep is None else xp.where(keep, p, 0.0)) - q
        d *= g * self.scale if self.scale is not None else xp.reshape(g, (-1, 1))  # d is fresh; Sub saves nothing
        return (d, None)


class SoftCrossEntropy(Op):
    """Loss ``-sum(q * log_softmax(logits))`` per row, for logits and class probabilities ``q``, both ``(N, C)``.

    A term whose ``q`` is 0 counts for nothing, also where its log-probability is
    ``-inf`` (a masked logit).  The gradients are ``g * (softmax * sum(q) - q)`` in
    the logits and ``-g * log_softmax`` in ``q`` (``inf`` at a masked logit, as in
    PyTorch); backward recomputes the log-probabilities, so nothing but the inputs is kept.
    """

    saves_inputs = True

    def forward(self, xp, logits, q):
        logp = _log_softmax_value(xp, logits, 1)
        return -xp.sum(xp.where(q == 0, 0.0, q * logp), axis=1)

    def backward(self, xp, g, inputs, out):
        logits, q = inputs
        nl, nq = self.needs
        logp = apply_or_value(LogSoftmax, xp, logits, axis=1)
        g = xp.reshape(g, (-1, 1))
        gl = g * (xp.exp(logp) * xp.sum(q, axis=1, keepdims=True) - q) if nl else None
        return gl, -g * logp if nq else None


class BinaryCrossEntropy(Op):
    """``-(t * log p + (1 - t) * log(1 - p))`` element-wise, each log clamped at -100, as in PyTorch.

    The gradients are PyTorch's: ``(p - t) / max(p * (1 - p), 1e-12)`` in ``p`` (0 where
    ``p == t`` is 0 or 1) and ``log(1 - p) - log p`` in ``t``.
    """

    saves_inputs = True

    def forward(self, xp, p, t):
        log_p = xp.maximum(xp.log(p), -100.0)
        log_q = xp.maximum(xp.log1p(-p), -100.0)
        return -(t * log_p + (1 - t) * log_q)

    def backward(self, xp, g, inputs, out):
        p, t = inputs
        np_, nt = self.needs
        gp = g * (p - t) / xp.maximum(p * (1 - p), 1e-12) if np_ else None
        gt = g * (xp.log1p(-p) - xp.log(p)) if nt else None
        return gp, gt


def _sigmoid_value(xp, x):
    """``1 / (1 + exp(-x))`` without overflow."""
    e = xp.exp(-xp.abs(x))  # never overflows
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid(xp, x):
    """The sigmoid of ``x`` in a rule; recorded as one op when ``x`` is a Tensor."""
    return apply_or_value(Sigmoid, xp, x)


def _softplus_value(xp, x):
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


class Softplus(Op):
    """``log(1 + exp(x))`` without overflow; the gradient is ``sigmoid(x)``."""

    saves_inputs = True

    def forward(self, xp, x):
        return _softplus_value(xp, x)

    def backward(self, xp, g, inputs, out):
        return (g * _sigmoid(xp, inputs[0]),)


def _softplus(xp, x):
    """``log(1 + exp(x))`` in a rule; recorded as one op when ``x`` is a Tensor."""
    return apply_or_value(Softplus, xp, x)


class BinaryCrossEntropyWithLogits(Op):
    """``pw * t * softplus(-z) + (1 - t) * softplus(z)`` element-wise for logits ``z``, targets
    ``t`` and positive-class weights ``pw`` (None: 1), computed without overflow.

    A term whose factor (``t`` or ``1 - t``) is 0 counts for nothing, so that a
    logit of ``+-inf`` on the side of its target costs 0.  The gradients are
    PyTorch's: ``(1 - t) * sigmoid(z) - pw * t * sigmoid(-z)`` in ``z`` (``sigmoid(z) - t``
    without ``pw``), ``pw * softplus(-z) - softplus(z)`` in ``t`` (``-z`` without ``pw``)
    and ``t * softplus(-z)`` in ``pw``; recorded, they differentiate again.
    """

    saves_inputs = True

    def forward(self, xp, z, t, pw):
        pos = _softplus_value(xp, -z)  # -log sigmoid(z)
        neg = _softplus_value(xp, z)  # -log(1 - sigmoid(z))
        tp = t if pw is None else t * pw
        return xp.where(t == 0, 0.0, tp * pos) + xp.where(t == 1, 0.0, (1 - t) * neg)

    def backward(self, xp, g, inputs, out):
        z, t, pw = inputs
        nz, nt, npw = self.needs
        gz = gt = gpw = None
        if nz:
            if pw is None:
                gz = g * (_sigmoid(xp, z) - t)
            else:
                gz = g * ((1 - t) * _sigmoid(xp, z) - pw * t * _sigmoid(xp, -z))
        pos = _softplus(xp, -z) if npw or (nt and pw is not None) else None
        if nt:
            gt = g * -z if pw is None else g * (pw * pos - _softplus(xp, z))
        if npw:
            gpw = g * t * pos
        return gz, gt, gpw


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


def _normal_cdf_value(xp, x):
    return 0.5 * (1 + _erf(xp, x * 0.7071067811865476))


def _normal_pdf(xp, x):
    return xp.exp(-0.5 * x * x) * 0.3989422804014327


class NormalCdf(Op):
    """The normal CDF ``Phi``; its gradient is the exact density, not that of the erf approximation."""

    saves_inputs = True

    def forward(self, xp, x):
        return _normal_cdf_value(xp, x)

    def backward(self, xp, g, inputs, out):
        return (g * _normal_pdf(xp, inputs[0]),)


class Gelu(Op):
    """``x * Phi(x)`` with the normal CDF ``Phi``; the gradient ``Phi(x) + x * phi(x)`` uses the exact
    density, and so does its derivative ``2 phi(x) - x^2 phi(x)`` when it is recorded."""

    saves_inputs = True

    def forward(self, xp, x):
        return x * _normal_cdf_value(xp, x)

    def backward(self, xp, g, inputs, out):
        x = inputs[0]
        cdf = apply_or_value(NormalCdf, xp, x)
        return (g * (cdf + x * _normal_pdf(xp, x)),)
