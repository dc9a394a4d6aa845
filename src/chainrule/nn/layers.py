"""Basic layers: ``Linear``, ``Identity``, ``Flatten``, ``Unflatten``, the dropouts,
``ChannelShuffle``, ``Embedding`` and ``EmbeddingBag``.

>>> import chainrule as cr
>>> layer = cr.nn.Linear(3, 2)
>>> layer
Linear(in_features=3, out_features=2, bias=True)
>>> layer(cr.ones(4, 3)).shape
chainrule.Size([4, 2])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import factories, grad_mode
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor


def reset_fan_in_uniform(module: Module) -> None:
    """PyTorch's default for Linear and Conv: weight from kaiming_uniform_(a=sqrt(5)), which
    is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias from the same range."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)


def add_weight_and_bias(
    module: Module,
    shape: tuple[int, ...],
    bias: bool,
    dtype: Any,
    device: Any,
    outputs: int | None = None,
) -> None:
    """Give ``module`` a ``weight`` of ``shape`` and a ``bias`` of ``outputs`` (by default
    ``shape[0]``; a transposed convolution's weight has its outputs second) or None, as
    parameters, then initialise them (``reset_parameters``): what Linear and the convolutions
    share."""
    module.weight = Parameter(factories.empty(*shape, dtype=dtype, device=device))
    if bias:
        size = shape[0] if outputs is None else outputs
        module.bias = Parameter(factories.empty(size, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


def weight_and_bias(module: Module) -> tuple[Any, Any]:
    """``(module.weight, module.bias)`` as :func:`add_weight_and_bias` registered them, read
    from the registry: an attribute read of a parameter misses the instance and the class first
    and then reaches ``Module.__getattr__`` (~6k instructions a read, twice per layer call).
    Where either is no longer registered (deleted and set as a plain attribute), the attributes.
    """
    params = module._parameters
    try:
        return params["weight"], params["bias"]
    except KeyError:
        return module.weight, module.bias


class Linear(Module):
    """``y = x @ W.T + b`` with W of shape (out_features, in_features)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        add_weight_and_bias(self, (out_features, in_features), bias, dtype, device)

    def reset_parameters(self) -> None:
        reset_fan_in_uniform(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.linear(input, *weight_and_bias(self))

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y = x1^T A x2 + b`` for each output: ``weight`` of shape (out, in1, in2), both
    drawn from U(-1/sqrt(in1), 1/sqrt(in1)) as PyTorch draws them."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        add_weight_and_bias(self, shape, bias, dtype, device)

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(
                f"in1_features must be > 0, but got (in1_features={self.in1_features})"
            )
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, *weight_and_bias(self))

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input; arguments are accepted and ignored, as in PyTorch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input


class Flatten(Module):
    """Flattens dimensions ``start_dim`` to ``end_dim`` (by default all but the batch)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dimension ``dim`` into ``unflattened_size`` (which may hold one -1), the inverse
    of :class:`Flatten`: ``Unflatten(1, (C, H, W))`` after a linear layer makes images again.

    >>> import chainrule as cr
    >>> cr.nn.Unflatten(1, (2, -1))(cr.ones(4, 6)).shape
    chainrule.Size([4, 2, 3])
    """

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        # PyTorch's checks; its named-dimension form (a str dim) has no named tensors here.
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(
                "unflattened_size must be a tuple of ints, but found type "
                f"{type(unflattened_size).__name__}"
            )
        for i, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError(
                    "unflattened_size must be tuple of ints, but found element of type "
                    f"{type(size).__name__} at pos {i}"
                )
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = tuple(input.shape)
        dim = self.dim + len(shape) if -len(shape) <= self.dim < 0 else self.dim
        if not 0 <= dim < len(shape):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-len(shape)}, "
                f"{len(shape) - 1}], but got {self.dim})"
            )
        sizes = tuple(self.unflattened_size)
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) > 1:
            raise RuntimeError("unflatten: only one dimension can be inferred")
        if (known != shape[dim]) if -1 not in sizes else (known == 0 or shape[dim] % known):
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{self.dim} ({shape[dim]}) in the input tensor"
            )
        return input.reshape(shape[:dim] + sizes + shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _DropoutNd(Module):
    """PyTorch's base of the dropout layers: ``p`` checked, ``inplace`` kept and shown."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes elements with probability ``p`` in training mode; the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """:func:`~chainrule.nn.functional.alpha_dropout` in training mode (for SELU networks);
    the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.alpha_dropout(input, self.p, self.training)  # out of place, even given
        # inplace=True: PyTorch's layer does not pass it on


class FeatureAlphaDropout(_DropoutNd):
    """:func:`~chainrule.nn.functional.feature_alpha_dropout` in training mode (whole
    channels); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.feature_alpha_dropout(input, self.p, self.training)


class ChannelShuffle(Module):
    """:func:`~chainrule.nn.functional.channel_shuffle` of the channels in ``groups``.

    >>> import chainrule as cr
    >>> cr.nn.ChannelShuffle(2)
    ChannelShuffle(groups=2)
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


def _reset_table(module: Embedding | EmbeddingBag) -> None:
    """An embedding table's default: N(0, 1), the padding row zero."""
    init.normal_(module.weight)
    if module.padding_idx is not None:
        with grad_mode.no_grad():
            module.weight[module.padding_idx].fill_(0)


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (initialised from N(0, 1)) is index i's vector.
    With ``max_norm``, looked-up rows are renormalised in place; with
    ``scale_grad_by_freq``, each row's gradient is divided by its count in the input (see
    :func:`~chainrule.nn.functional.embedding`).

    >>> import chainrule as cr
    >>> cr.nn.Embedding(10, 3, padding_idx=0, max_norm=1.0)
    Embedding(10, 3, padding_idx=0, max_norm=1.0)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        F._refuse_sparse(sparse)
        if padding_idx is not None:
            padding_idx = F._padding_row(padding_idx, num_embeddings)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(
                factories.empty(num_embeddings, embedding_dim, dtype=dtype, device=device),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        _reset_table(self)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (rows, dim), frozen unless ``freeze``
        is False.

        >>> import chainrule as cr
        >>> table = cr.nn.Embedding.from_pretrained(cr.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> table(cr.tensor([1])), table.weight.requires_grad
        (tensor([[3., 4.]]), False)
        """
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return text


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (see
    :func:`~chainrule.nn.functional.embedding_bag`) without the (bags, length, dim) lookups
    in between.

    >>> import chainrule as cr
    >>> bag = cr.nn.EmbeddingBag(10, 3, mode="sum")
    >>> bag
    EmbeddingBag(10, 3, mode='sum')
    >>> tuple(bag(cr.tensor([1, 2, 4, 5, 4]), cr.tensor([0, 2])).shape)
    (2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        F._refuse_sparse(sparse)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if padding_idx is not None:
            padding_idx = F._padding_row(padding_idx, num_embeddings, "padding_idx")
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(
                factories.empty(num_embeddings, embedding_dim, dtype=dtype, device=device)
            )
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def reset_parameters(self) -> None:
        _reset_table(self)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings`` (rows, dim), frozen unless
        ``freeze`` is False."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            embeddings,
            include_last_offset,
            padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag

    def forward(
        self,
        input: Tensor,  # noqa: A002
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx!r}"
        return text
