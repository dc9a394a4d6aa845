"""Neural-network building blocks with PyTorch's names: ``chainrule.nn`` is ``torch.nn``.

>>> import chainrule as cr
>>> model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 2))
>>> loss = cr.nn.functional.cross_entropy(model(cr.randn(5, 4)), cr.tensor([0, 1, 1, 0, 1]))
>>> loss.backward()
>>> [tuple(p.grad.shape) for p in model.parameters()]
[(8, 4), (8,), (2, 8), (2,)]
"""

from chainrule.nn import attention, functional, init, utils
from chainrule.nn.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from chainrule.nn.container import ModuleDict, ModuleList, Sequential
from chainrule.nn.conv import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    MaxPool2d,
)
from chainrule.nn.layers import Bilinear, Dropout, Embedding, Flatten, Identity, Linear
from chainrule.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from chainrule.nn.module import Module
from chainrule.nn.multihead_attention import MultiheadAttention
from chainrule.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from chainrule.nn.parameter import Parameter
from chainrule.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from chainrule.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

# isort: split
# ---- activations, losses, distances (api17b)
from chainrule.nn.activation import (
    CELU,
    ELU,
    GLU,
    SELU,
    CosineSimilarity,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PairwiseDistance,
    PReLU,
    ReLU6,
    RReLU,
    Softmax2d,
    Softmin,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)
from chainrule.nn.losses import (
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)

# isort: split
# ---- containers, padding, pooling, upsampling, conv transpose, folds (api17c)
from chainrule.nn.container import ParameterDict, ParameterList
from chainrule.nn.conv import ConvTranspose1d, ConvTranspose2d
from chainrule.nn.layers import Unflatten
from chainrule.nn.norm import InstanceNorm1d, InstanceNorm2d, LocalResponseNorm, RMSNorm
from chainrule.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from chainrule.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveMaxPool1d,
    AvgPool1d,
    MaxPool1d,
    MaxUnpool1d,
    MaxUnpool2d,
)
from chainrule.nn.upsampling import (
    Fold,
    PixelShuffle,
    PixelUnshuffle,
    Unfold,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

# isort: split
# ---- three-dimensional layers, channel dropout, power-average pooling
from chainrule.nn.conv import Conv3d, ConvTranspose3d
from chainrule.nn.dropout import Dropout1d, Dropout2d, Dropout3d
from chainrule.nn.norm import BatchNorm3d, InstanceNorm3d
from chainrule.nn.padding import (
    CircularPad3d,
    ConstantPad3d,
    ReflectionPad3d,
    ReplicationPad3d,
    ZeroPad3d,
)
from chainrule.nn.pooling import (
    AdaptiveAvgPool3d,
    AdaptiveMaxPool3d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool3d,
    MaxUnpool3d,
)

# isort: split
# ---- layers and layer options
from chainrule.nn.activation import Softplus
from chainrule.nn.layers import (
    AlphaDropout,
    ChannelShuffle,
    EmbeddingBag,
    FeatureAlphaDropout,
)
from chainrule.nn.lazy import (
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyLinear,
    UninitializedParameter,
)
from chainrule.nn.losses import MultiLabelMarginLoss, TripletMarginWithDistanceLoss
from chainrule.nn.rnn import RNNBase, RNNCellBase

# isort: split
# ---- CTC loss, fractional max pooling, adaptive softmax, more lazy modules, buffers
from chainrule.nn.adaptive import AdaptiveLogSoftmaxWithLoss
from chainrule.nn.buffer import Buffer
from chainrule.nn.ctc import CTCLoss
from chainrule.nn.fractional_pool import FractionalMaxPool2d, FractionalMaxPool3d
from chainrule.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    UninitializedBuffer,
)
from chainrule.nn.legacy import Container, CrossMapLRN2d, NLLLoss2d
from chainrule.nn.sync_batchnorm import SyncBatchNorm

__all__ = [
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CELU",
    "Conv1d",
    "Conv2d",
    "CosineEmbeddingLoss",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GELU",
    "GLU",
    "GRU",
    "GRUCell",
    "GaussianNLLLoss",
    "GroupNorm",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "Bilinear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MarginRankingLoss",
    "MaxPool2d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "MultiheadAttention",
    "NLLLoss",
    "PReLU",
    "PairwiseDistance",
    "Parameter",
    "PoissonNLLLoss",
    "RNN",
    "RNNCell",
    "RReLU",
    "ReLU",
    "ReLU6",
    "SELU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "Softmax",
    "Softmax2d",
    "Softmin",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TripletMarginLoss",
    "attention",
    "functional",
    "init",
    "utils",
]

# ---- (api17c)
__all__ += [
    "InstanceNorm1d",
    "InstanceNorm2d",
    "LocalResponseNorm",
    "RMSNorm",
    "Fold",
    "Unfold",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "PixelShuffle",
    "PixelUnshuffle",
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool1d",
    "AvgPool1d",
    "MaxPool1d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "CircularPad1d",
    "CircularPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ParameterDict",
    "ParameterList",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "Unflatten",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "ZeroPad1d",
    "ZeroPad2d",
]

__all__ += [
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "AlphaDropout",
    "AvgPool3d",
    "BatchNorm3d",
    "ChannelShuffle",
    "CircularPad3d",
    "ConstantPad3d",
    "Conv3d",
    "ConvTranspose3d",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "EmbeddingBag",
    "FeatureAlphaDropout",
    "InstanceNorm3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyLinear",
    "MaxPool3d",
    "MaxUnpool3d",
    "MultiLabelMarginLoss",
    "RNNBase",
    "RNNCellBase",
    "ReflectionPad3d",
    "ReplicationPad3d",
    "Softplus",
    "TripletMarginWithDistanceLoss",
    "UninitializedParameter",
    "ZeroPad3d",
]

# ---- CTC loss, fractional max pooling, adaptive softmax, more lazy modules, buffers
__all__ += [
    "AdaptiveLogSoftmaxWithLoss",
    "Buffer",
    "CTCLoss",
    "Container",
    "CrossMapLRN2d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "NLLLoss2d",
    "SyncBatchNorm",
    "UninitializedBuffer",
]

# ---- data-parallel wrappers (CPU) and the linear cross-entropy loss
from chainrule.nn import parallel  # noqa: E402
from chainrule.nn.linear_cross_entropy import LinearCrossEntropyLoss  # noqa: E402
from chainrule.nn.parallel import DataParallel  # noqa: E402

__all__ += ["DataParallel", "LinearCrossEntropyLoss", "parallel"]

__all__ += ["modules"]


def __getattr__(name: str) -> object:
    """``chainrule.nn.modules`` (torch.nn.modules' paths, such as
    ``chainrule.nn.modules.batchnorm._BatchNorm``), imported at its first use, so that
    ``import chainrule`` does not load its two dozen modules (PyTorch's imports them)."""
    if name == "modules":
        import importlib

        return importlib.import_module("chainrule.nn.modules")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
