"""Neural networks on any array-API backend: modules, layers, initialisers and ``functional``.

Layers create their parameters with ``dtype=`` (float32 by default), ``device=``
and ``backend=`` (a backend name or namespace; acarray's default backend when
omitted).  See ``acarray.optim`` for optimizers.
"""

from . import functional, init, utils
from .functional import ShapeError
from .layers.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .layers.attention import MultiHeadAttention
from .layers.conv import AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d
from .layers.dropout import Dropout
from .layers.embedding import Embedding
from .layers.linear import Flatten, Identity, Linear
from .layers.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .layers.recurrent import GRU, LSTM, RNN
from .module import IncompatibleKeys, Module, ModuleList, Sequential, StateDictKeyError
from .parameter import Buffer, Parameter

__all__ = [
    "functional", "init", "utils", "ShapeError", "Module", "Parameter", "Buffer", "Sequential", "ModuleList",
    "IncompatibleKeys", "StateDictKeyError",
    "Linear", "Identity", "Flatten", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "Embedding", "RNN", "LSTM", "GRU",
    "MultiHeadAttention", "ReLU", "LeakyReLU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
]
