"""Optimizers and learning-rate schedules for ``acarray.nn`` modules (any backend)."""

from . import lr_scheduler
from .adam import Adam, AdamW, RMSprop
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
