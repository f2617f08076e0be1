"""Differentiable implementations of the array API's functions, grouped by family."""
