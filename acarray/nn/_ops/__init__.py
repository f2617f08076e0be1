"""Fused ops of the neural-network layers: each has its own backward rule (see the modules)."""
