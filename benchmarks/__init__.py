"""Benchmarks of acarray against hand-written NumPy and PyTorch eager (``make bench``)."""
