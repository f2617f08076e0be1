"""Recurrent workloads."""

from __future__ import annotations

WORKLOADS: list = []
