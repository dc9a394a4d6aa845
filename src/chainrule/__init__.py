"""chainrule: reverse-mode automatic differentiation on NumPy that shows the chain rule at work.

The API follows PyTorch's names, so tutorial code runs by changing the import:

    >>> import chainrule as cr
    >>> x = cr.tensor([3.0], requires_grad=True)
    >>> y = (x + 2) ** 2
    >>> y.backward()
    >>> x.grad
    tensor([10.])
"""

import warnings as _warnings  # noqa: I001

# malloc's thresholds before any large array exists (see _malloc: reused, not re-faulted, blocks).
from chainrule import _malloc  # noqa: F401, I001

from chainrule import (
    accelerator,
    amp,
    autograd,
    backends,
    cuda,
    datasets,
    distributions,
    func,
    linalg,
    nn,
    optim,
    return_types,
    special,
    utils,
)
from chainrule.devices import device, get_default_device, set_default_device
from chainrule.dtypes import (
    bfloat16,
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from chainrule.factories import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from chainrule.amp import autocast
from chainrule.func import vmap  # torch.vmap: torch.func's, under the top-level name too
from chainrule.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.jit import compile
from chainrule.ops.compare import (
    all,
    allclose,
    any,
    eq,
    equal,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from chainrule.ops.elementwise import (
    add,
    div,
    floor_divide,
    fmod,
    mul,
    pow,
    remainder,
    square,
    sub,
    where,
)

# Each elementwise op class with a ``public`` name also puts cr.<name> here when it is
# defined (chainrule.declare): cr.sin, cr.exp, cr.relu, ...
from chainrule.ops.indexing import (
    argsort,
    gather,
    index_select,
    masked_select,
    msort,
    nonzero,
    scatter_add,
    sort,
    topk,
)
from chainrule.ops.linalg import (
    bmm,
    diag,
    dot,
    einsum,
    ger,
    matmul,
    mm,
    mv,
    outer,
    trace,
    tril,
    triu,
)
from chainrule.ops.nn_ops import log_softmax, softmax
from chainrule.ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from chainrule.ops.shape import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    concatenate,
    expand,
    flatten,
    flip,
    permute,
    repeat,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    unbind,
    unsqueeze,
)

# ---- shape, indexing, comparison (api17a)
from chainrule.ops.indexing import (
    index_add,
    index_copy,
    index_fill,
    masked_fill,
    scatter,
    take,
    take_along_dim,
)
from chainrule.ops.index_writes import (
    diagonal_scatter,
    index_put,
    index_put_,
    index_reduce,
    masked_scatter,
    put,
    scatter_reduce,
    select_scatter,
    slice_scatter,
)
from chainrule.ops.strided import as_strided, as_strided_
from chainrule.ops.views import unsafe_chunk, unsafe_split, unsafe_split_with_sizes
from chainrule.ops.shape_more import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    diag_embed,
    diagonal,
    dsplit,
    dstack,
    fliplr,
    flipud,
    hsplit,
    hstack,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    numel,
    ravel,
    repeat_interleave,
    rot90,
    select,
    swapdims,
    tensor_split,
    tile,
    tril_indices,
    triu_indices,
    unflatten,
    vsplit,
    vstack,
)

# ---- math: NumPy's longer names, one-sided clamps, compositions, scans, statistics
from math import e, inf, nan, pi  # torch.e, torch.inf, torch.nan, torch.pi: Python floats

from chainrule.ops.combinations import addcdiv, addcmul, lerp
from chainrule.ops.elementwise import (
    clamp_max,
    clamp_min,
    subtract,
    true_divide,
)
from chainrule.ops.linalg import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    cdist,
    cross,
    inner,
    kron,
    tensordot,
    vdot,
)
from chainrule.ops.pointwise import (
    deg2rad,
    float_power,
    fmax,
    fmin,
    heaviside,
    logit,
    nan_to_num,
    rad2deg,
    signbit,
    sinc,
    xlogy,
)
from chainrule.ops.scans import cummax, cummin, cumprod, diff, logcumsumexp
from chainrule.ops.searching import bincount, bucketize, histc, searchsorted
from chainrule.ops.more_math import (
    block_diag,
    cumulative_trapezoid,
    frexp,
    ldexp,
    renorm,
    trapezoid,
    trapz,
    unravel_index,
    vander,
)
from chainrule.ops.torch_names import (
    adjoint,
    conj,
    det,
    diagflat,
    dist,
    greater,
    greater_equal,
    imag,
    inverse,
    is_conj,
    is_neg,
    is_nonzero,
    is_same_size,
    isreal,
    less,
    less_equal,
    logdet,
    matrix_power,
    narrow_copy,
    not_equal,
    pinverse,
    positive,
    real,
    resolve_conj,
    resolve_neg,
    slogdet,
    split_with_sizes,
)
from chainrule.ops.sets import (
    aminmax,
    argwhere,
    cartesian_prod,
    combinations,
    isin,
    mode,
    unique,
    unique_consecutive,
)
from chainrule.ops.statistics import (
    corrcoef,
    count_nonzero,
    cov,
    kthvalue,
    median,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
)

# erfc is a declared op: importing the module puts it here too.
from chainrule.ops.special_ops import digamma, erfinv, lgamma, polygamma
from chainrule.ops.special_ops import gcd, i0, igamma, igammac, lcm, nextafter
from chainrule.ops.special_ops import multigammaln as mvlgamma

# ---- end math
# ---- torch top-level names: in-place forms, *_copy forms, nn.functional at the top level
from chainrule.ops.torch_toplevel import (
    abs_,
    acos_,
    acosh_,
    addmv_,
    alias_copy,
    alpha_dropout,
    alpha_dropout_,
    angle,
    arccos_,
    arccosh_,
    arcsin_,
    arcsinh_,
    arctan_,
    arctanh_,
    as_strided_copy,
    as_strided_scatter,
    asin_,
    asinh_,
    atan_,
    atanh_,
    ceil_,
    celu_,
    clamp_,
    clamp_max_,
    clamp_min_,
    clip_,
    conj_physical,
    conj_physical_,
    cos_,
    cosh_,
    deg2rad_,
    detach,
    detach_,
    detach_copy,
    diagonal_copy,
    dropout,
    dropout_,
    erf_,
    erfc_,
    exp2_,
    exp_,
    expand_copy,
    expm1_,
    feature_alpha_dropout,
    feature_alpha_dropout_,
    feature_dropout,
    feature_dropout_,
    fill,
    fill_,
    fix_,
    floor_,
    frac_,
    gcd_,
    get_device,
    i0_,
    is_distributed,
    lcm_,
    ldexp_,
    log10_,
    log1p_,
    log2_,
    log_,
    logit_,
    nan_to_num_,
    neg_,
    negative_,
    nonzero_static,
    norm_except_dim,
    permute_copy,
    rad2deg_,
    reciprocal_,
    relu_,
    resize_as_,
    round_,
    row_stack,
    rrelu_,
    rsqrt_,
    rsub,
    segment_reduce,
    select_copy,
    selu_,
    sigmoid_,
    sin_,
    sinc_,
    sinh_,
    slice_copy,
    split_copy,
    split_with_sizes_copy,
    sqrt_,
    square_,
    squeeze_copy,
    t_copy,
    tan_,
    tanh_,
    threshold_,
    to_dlpack,
    transpose_copy,
    trunc_,
    unbind_copy,
    unfold_copy,
    unsqueeze_copy,
    view_as_real,
    view_as_real_copy,
    view_copy,
    xlogy_,
    zero_,
)
from chainrule.ops.torch_toplevel_nn import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    affine_grid_generator,
    avg_pool1d,
    batch_norm,
    batch_norm_backward_elemt,
    batch_norm_backward_reduce,
    batch_norm_elemt,
    batch_norm_gather_stats,
    batch_norm_gather_stats_with_counts,
    batch_norm_stats,
    batch_norm_update_stats,
    bilinear,
    binary_cross_entropy_with_logits,
    celu,
    channel_shuffle,
    constant_pad_nd,
    conv1d,
    conv2d,
    conv3d,
    conv_tbc,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    convolution,
    cosine_embedding_loss,
    cosine_similarity,
    embedding,
    embedding_bag,
    embedding_renorm_,
    grid_sampler,
    grid_sampler_2d,
    grid_sampler_3d,
    group_norm,
    gru,
    gru_cell,
    hardshrink,
    hinge_embedding_loss,
    instance_norm,
    kl_div,
    layer_norm,
    lstm,
    lstm_cell,
    margin_ranking_loss,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool3d,
    native_batch_norm,
    native_channel_shuffle,
    native_dropout,
    native_group_norm,
    native_layer_norm,
    native_norm,
    pairwise_distance,
    pdist,
    pixel_shuffle,
    pixel_unshuffle,
    poisson_nll_loss,
    prelu,
    rms_norm,
    rnn_relu,
    rnn_relu_cell,
    rnn_tanh,
    rnn_tanh_cell,
    rrelu,
    selu,
    threshold,
    triplet_margin_loss,
)
from chainrule.ops.windows import (
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)
from chainrule.grad_mode import is_inference_mode_enabled
from chainrule.settings import (
    are_deterministic_algorithms_enabled,
    can_cast,
    compiled_with_cxx11_abi,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    init_num_threads,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    is_autocast_enabled,
    is_complex,
    is_deterministic_algorithms_warn_only_enabled,
    is_floating_point,
    is_inference,
    is_signed,
    is_storage,
    is_tensor,
    is_vulkan_available,
    is_warn_always_enabled,
    promote_types,
    result_type,
    set_anomaly_enabled,
    set_default_tensor_type,
    set_deterministic_debug_mode,
    set_flush_denormal,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    set_warn_always,
    typename,
    use_deterministic_algorithms,
)
from chainrule.constructors import (
    asarray,
    empty_permuted,
    empty_strided,
    frombuffer,
    range,
    scalar_tensor,
)

# ---- end torch top-level names
from chainrule.printing import get_printoptions, set_printoptions
from chainrule.rng import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from chainrule.serialization import load, save
from chainrule.tensor import Size, Tensor
from chainrule.tools import (
    attribution,
    diagnostics,
    viz,  # cr.viz.draw: graph pictures, one of the graph's readers
)
from chainrule.tools.explain import explain

# ---- linear algebra (more): torch's older top-level names for chainrule.linalg's functions,
# gradient (finite differences) and the histograms
from chainrule.ops.linalg_more import (
    chain_matmul,
    cholesky,
    cholesky_inverse,
    cholesky_solve,
    frobenius_norm,
    geqrf,
    lu_unpack,
    matrix_exp,
    nuclear_norm,
    ormqr,
    pca_lowrank,
    qr,
    svd,
    svd_lowrank,
    triangular_solve,
)
from chainrule.ops.finite_differences import gradient
from chainrule.ops.histograms import histogram, histogramdd
from chainrule.ops.linalg_more import eig_removed as eig
from chainrule.ops.linalg_more import householder_product as orgqr
from chainrule.ops.linalg_more import lstsq_removed as lstsq
from chainrule.ops.linalg_more import lu_legacy as lu
from chainrule.ops.linalg_more import lu_solve_legacy as lu_solve
from chainrule.ops.linalg_more import matrix_rank_removed as matrix_rank
from chainrule.ops.linalg_more import symeig_removed as symeig

# ---- more tensor methods and nn pieces: layouts, binomial draws, the profiler
from chainrule import profiler
from chainrule.ops.binomial import binomial
from chainrule.ops.tensor_more import layout
from chainrule.ops.tensor_more import strided_layout as strided

# ---- testing, finfo, random: torch.testing's assert_close and make_tensor, the dtypes'
# limits, and torch.random's names over the global generator of chainrule.rng
from chainrule import random, testing
from chainrule.rng import default_generator
from chainrule.type_info import finfo, iinfo

# ---- PyTorch's shell unsigned dtypes (made, cast, viewed; most kernels refuse them)
from chainrule.dtypes import uint16, uint32, uint64

# ---- memory formats: how a tensor's elements lie in memory (chainrule.memory_formats)
from chainrule.memory_formats import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)

# NumPy warns of the floating-point edge values (log(0), 1 / 0, exp(1000)) that PyTorch turns
# into inf and nan silently. Those raised in chainrule's own modules are ignored; the user's
# NumPy code keeps its warnings (np.seterr would silence them too, and an errstate around
# every op costs 0.8 us, a third of an op).
_warnings.filterwarnings(
    "ignore",
    r"(divide by zero|invalid value|overflow|underflow) encountered in ",
    RuntimeWarning,
    r"chainrule\.",
)

__version__ = "0.1.0"

# PyTorch's ``out=`` on the functions that are not declared ops (those take it from their
# declaration): the public names only, so that methods and operators pay nothing for it.
from chainrule.out import accepts_out, factory_out, give_out  # noqa: E402

add, sub, mul, div, pow, remainder, fmod, where = map(  # noqa: A001
    accepts_out, (add, sub, mul, div, pow, remainder, fmod, where)
)
matmul, mm, bmm, mv, dot, outer = map(accepts_out, (matmul, mm, bmm, mv, dot, outer))
subtract, true_divide = map(accepts_out, (subtract, true_divide))
zeros, ones, empty, full, arange, linspace, logspace, eye = map(
    factory_out, (zeros, ones, empty, full, arange, linspace, logspace, eye)
)
rand, randn, randint, randperm, range = map(  # noqa: A001
    factory_out, (rand, randn, randint, randperm, range)
)
# The rest of PyTorch's functions that take out=, each by PyTorch's rule for out's dtype (see
# chainrule.out), as tests/test_out_every_function.py checks against PyTorch: the result cast
# into it; the result's own dtype asked (structured kernels, and the functions of several
# results, which take a tuple); the result computed in it (a function with a dtype argument).
# Those marked distinct refuse an out that shares any memory with an input (PyTorch's
# assert_no_overlap), the others only one that shares part of it.
give_out(
    globals(),
    "addcdiv addcmul addr angle bernoulli bitwise_and bitwise_left_shift bitwise_or "
    "bitwise_right_shift bitwise_xor cholesky cholesky_inverse cholesky_solve deg2rad diff "
    "digamma eq erfinv floor_divide fmax fmin gcd ge ger greater greater_equal gt i0 igamma "
    "igammac lcm le lerp less less_equal lgamma logical_and logical_not logical_or logical_xor "
    "logit logsumexp lt mvlgamma nanmean ne nextafter not_equal polygamma rad2deg sinc square "
    "std threshold var xlogy geqrf orgqr",  # (geqrf, of two results, casts them as no other)
    exact=False,
)
give_out(
    globals(),
    "cat stack column_stack concatenate dstack hstack row_stack vstack kron",
    exact=False,
    distinct=True,
)
give_out(
    globals(),
    "addbmm addmm addmv amax amin argmax argmin argsort baddbmm bitwise_not bucketize "
    "chain_matmul clamp_max clamp_min conj_physical cross diag float_power hardshrink heaviside "
    "histc inner inverse isin isneginf isposinf ldexp log_softmax logcumsumexp lu_solve "
    "matrix_power msort multinomial nan_to_num nanquantile nonzero norm nuclear_norm ormqr "
    "quantile renorm searchsorted signbit softmax tensordot tril triu vdot",
    exact=True,
)
give_out(
    globals(),
    "gather index_add index_copy index_reduce index_select masked_select scatter scatter_add "
    "scatter_reduce take take_along_dim",
    exact=True,
    distinct=True,
)
give_out(
    globals(),
    "aminmax cummax cummin frexp histogram kthvalue lu_unpack max median min mode nanmedian qr "
    "slogdet sort svd topk triangular_solve",  # several results (max and min: one, or two)
)
give_out(globals(), "sum prod nansum cumsum cumprod", dtype_from_out=True)
give_out(globals(), "mean", dtype_from_out="floating")
multiply, divide, concat = mul, div, cat  # the same functions under NumPy's names

# PyTorch's layout= and pin_memory= (chainrule.ops.tensor_more.takes_layout) on its factories
from chainrule.ops.tensor_more import takes_layout  # noqa: E402

for _name in (
    "zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "rand", "randn",
    "randint", "randperm", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
    "randn_like", "randint_like", "normal",
):  # fmt: skip
    globals()[_name] = takes_layout(globals()[_name])
for _name in ("tensor", "tril_indices", "triu_indices"):
    globals()[_name] = takes_layout(globals()[_name], layouts=False)
for _name in ("new_zeros", "new_ones", "new_empty", "new_full"):
    setattr(Tensor, _name, takes_layout(getattr(Tensor, _name)))

# PyTorch's TypeError for a Python number where a function takes a tensor (``torch.sum(0.5)``),
# on the public names only, as above (declared ops refuse numbers in Op.__call__).
from chainrule import _tensor_input  # noqa: E402

for _name in _tensor_input.NAMES:
    globals()[_name] = _tensor_input.takes_tensor(globals()[_name], _name)
for _name in _tensor_input.OPERANDS + _tensor_input.IN_PLACE:
    if _name in globals():  # torch.gcd_ and torch.lcm_ are functions too
        globals()[_name] = _tensor_input.takes_tensors(globals()[_name], _name)
    setattr(Tensor, _name, _tensor_input.method_takes_tensor(getattr(Tensor, _name), _name))
for _name in _tensor_input.TENSOR_FIRST:
    globals()[_name] = _tensor_input.takes_tensor_first(globals()[_name], _name)
del _name

# Every public function where pickle looks for it (a model keeping ``cr.mean`` as an attribute
# is saved whole): a wrapper made above for a public name, or a function exported under
# another name, is not what its own module and name point at, so it is named chainrule.<name>.
import sys as _sys  # noqa: E402
from types import FunctionType as _FunctionType  # noqa: E402

for _name, _value in list(globals().items()):
    if isinstance(_value, _FunctionType) and not _name.startswith("_"):
        _home = _sys.modules.get(_value.__module__)
        if getattr(_home, _value.__qualname__, None) is not _value:
            _value.__module__, _value.__qualname__ = "chainrule", _name
del _name, _value, _home, _sys, _FunctionType
