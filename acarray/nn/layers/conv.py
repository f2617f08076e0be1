"""Convolution and pooling layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d``, ``MaxPool2d``, ``AvgPool2d``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import functional as F
from ..module import Module
from ..parameter import check_int, check_ints
from ._params import Factory

if TYPE_CHECKING:
    from ..._tensor import Tensor


class _ConvNd(Module):
    nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, dtype=None, device=None, backend=None):
        name = type(self).__name__
        in_channels = check_int(name, "in_channels", in_channels)
        out_channels = check_int(name, "out_channels", out_channels)
        groups = check_int(name, "groups", groups)
        check_ints(name, "kernel_size", kernel_size, self.nd)
        check_ints(name, "stride", stride, self.nd)
        check_ints(name, "padding", padding, self.nd, 0)
        check_ints(name, "dilation", dilation, self.nd)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})")
        f = Factory(dtype, device, backend)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = F._tuple(kernel_size, self.nd, f"{name}: kernel_size")
        self.stride, self.padding, self.dilation = stride, padding, dilation
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        fan_in = shape[1] * math.prod(self.kernel_size)
        self.weight = f.fan_in_uniform(shape, fan_in)
        self.bias = f.fan_in_uniform((out_channels,), fan_in) if bias else None

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}" + (f", groups={self.groups}" if self.groups != 1 else ""))


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C, L)`` inputs."""

    nd = 1

    def forward(self, x) -> Tensor:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C, H, W)`` inputs (stride, padding, dilation, groups as in PyTorch)."""

    def forward(self, x) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution, the adjoint of ``Conv2d`` with the same geometry."""

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, *, dtype=None, device=None, backend=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         dtype=dtype, device=device, backend=backend)
        check_ints(type(self).__name__, "output_padding", output_padding, 2, 0)
        self.output_padding = output_padding

    def forward(self, x) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)


class _Pool2d(Module):
    function: Any = None

    def __init__(self, kernel_size, stride=None, padding=0):
        name = type(self).__name__
        check_ints(name, "kernel_size", kernel_size, 2)
        if stride is not None:
            check_ints(name, "stride", stride, 2)
        check_ints(name, "padding", padding, 2, 0)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x) -> Tensor:
        return type(self).function(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    function = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool2d):
    function = staticmethod(F.avg_pool2d)
