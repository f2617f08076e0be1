"""Interoperability tests: SciPy, scikit-learn and array-api-extra called on acarray tensors."""
