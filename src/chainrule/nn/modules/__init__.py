"""PyTorch's ``torch.nn.modules`` paths: each submodule (``batchnorm``, ``conv``, ``loss``...)
re-exports chainrule's layers under its PyTorch name, private bases such as ``_BatchNorm``,
``_ConvNd`` and ``_Loss`` included; the package itself exports every public layer but
``LazyModuleMixin``, as PyTorch's does.

>>> import chainrule as cr
>>> from chainrule.nn.modules.batchnorm import _BatchNorm
>>> isinstance(cr.nn.BatchNorm2d(3), _BatchNorm), isinstance(cr.nn.InstanceNorm2d(3), _BatchNorm)
(True, False)
"""

from chainrule.nn.modules import (
    activation,
    adaptive,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    lazy,
    linear,
    loss,
    module,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
    utils,
)
from chainrule.nn.modules.activation import *
from chainrule.nn.modules.adaptive import *
from chainrule.nn.modules.batchnorm import *
from chainrule.nn.modules.channelshuffle import *
from chainrule.nn.modules.container import *
from chainrule.nn.modules.conv import *
from chainrule.nn.modules.distance import *
from chainrule.nn.modules.dropout import *
from chainrule.nn.modules.flatten import *
from chainrule.nn.modules.fold import *
from chainrule.nn.modules.instancenorm import *
from chainrule.nn.modules.linear import *
from chainrule.nn.modules.loss import *
from chainrule.nn.modules.module import Module  # (PyTorch's exports no global hooks)
from chainrule.nn.modules.normalization import *
from chainrule.nn.modules.padding import *
from chainrule.nn.modules.pixelshuffle import *
from chainrule.nn.modules.pooling import *
from chainrule.nn.modules.rnn import *
from chainrule.nn.modules.sparse import *
from chainrule.nn.modules.transformer import *
from chainrule.nn.modules.upsampling import *

__all__ = [
    *activation.__all__,
    *adaptive.__all__,
    *batchnorm.__all__,
    *channelshuffle.__all__,
    *container.__all__,
    *conv.__all__,
    *distance.__all__,
    *dropout.__all__,
    *flatten.__all__,
    *fold.__all__,
    *instancenorm.__all__,
    *linear.__all__,
    *loss.__all__,
    "Module",
    *normalization.__all__,
    *padding.__all__,
    *pixelshuffle.__all__,
    *pooling.__all__,
    *rnn.__all__,
    *sparse.__all__,
    *transformer.__all__,
    *upsampling.__all__,
]
