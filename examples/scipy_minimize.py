"""Minimise with SciPy, the derivatives from acarray's function transforms.

The objective is written once against the array API: the n-dimensional Rosenbrock function and
a small nonlinear least-squares fit.  ``value_and_grad`` gives ``minimize`` its ``jac=True``
objective, ``hvp`` its ``hessp`` (Newton-CG and trust-region methods: Hessian-vector products,
never the Hessian), and ``jacrev`` the Jacobian that ``least_squares`` asks for.

    python examples/scipy_minimize.py [--n 20] [--backend numpy]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import optimize

import acarray


def rosenbrock(xp):
    def f(x):
        return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return f


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="dimension of the Rosenbrock problem")
    parser.add_argument("--backend", default="numpy")
    args = parser.parse_args(argv)
    xp = acarray.namespace(args.backend)
    f = rosenbrock(xp)
    value_and_grad = xp.value_and_grad(f)

    def fun(x):  # SciPy hands NumPy arrays in and wants (float, NumPy array) back
        value, g = value_and_grad(xp.asarray(x))
        return float(value), np.asarray(g, dtype=np.float64)

    def hessp(x, p):
        return np.asarray(xp.hvp(f, (xp.asarray(x),), (xp.asarray(p),))[1][0], dtype=np.float64)

    x0 = np.full(args.n, -1.0)
    x0[::2] = 1.2
    newton = optimize.minimize(fun, x0, jac=True, hessp=hessp, method="trust-ncg", options={"gtol": 1e-10})
    bfgs = optimize.minimize(fun, x0, jac=True, method="BFGS", options={"gtol": 1e-10})
    print(f"Rosenbrock, n={args.n}: trust-ncg with hessp  {newton.nit:4d} iterations, f = {newton.fun:.2e}, "
          f"|x - 1| = {np.abs(newton.x - 1).max():.1e}")
    print(f"                  BFGS with jac=True    {bfgs.nit:4d} iterations, f = {bfgs.fun:.2e}")

    # A least-squares fit of y = a exp(-b t) + c, with the residuals' Jacobian from jacrev.
    t = np.linspace(0.0, 4.0, 40)
    rng = np.random.default_rng(0)
    y = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.01 * rng.standard_normal(t.size)
    tt, yy = xp.asarray(t), xp.asarray(y)

    def residuals(theta):
        return theta[0] * xp.exp(-theta[1] * tt) + theta[2] - yy

    jac = xp.jacrev(residuals)
    fit = optimize.least_squares(
        lambda th: np.asarray(residuals(xp.asarray(th))),
        np.array([1.0, 1.0, 0.0]),
        jac=lambda th: np.asarray(jac(xp.asarray(th))),
    )
    print(f"least_squares with jacrev: a, b, c = {np.round(fit.x, 3)} (true 2.5, 1.3, 0.5), {fit.njev} Jacobians")
    return {"newton": newton, "bfgs": bfgs, "fit": fit}


if __name__ == "__main__":
    main()
