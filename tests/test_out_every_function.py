"""PyTorch's ``out=`` on every function of its that takes one and chainrule has: each call
runs on torch and on chainrule, with ``out`` of the result's dtype and then of another dtype
(cast into, refused, or computed in, by each function's own rule), and the returned value,
``out``'s values and dtypes, and the error's type (and, for the usual dtype refusal, its
words) must be the same. Functions of several results take a tuple of tensors."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import declare
from chainrule.op import REGISTRY


def _m(lib: Any) -> Any:
    return lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _sq(lib: Any) -> Any:
    return lib.tensor([[2.0, 0.5], [0.5, 3.0]])


def _v(lib: Any) -> Any:
    return lib.tensor([0.5, -1.0, 2.0])


def _p(lib: Any) -> Any:
    return lib.tensor([0.2, 0.5, 0.8])


def _n(lib: Any) -> Any:
    return lib.tensor([3, 4, 6])


def _i(lib: Any) -> Any:
    return lib.tensor([[0, 2], [1, 0]])


def _cube(lib: Any) -> Any:
    return lib.arange(8.0).reshape(2, 2, 2) / 4


def _cols(lib: Any) -> Any:
    return lib.tensor([0, 2])


def _mask(lib: Any) -> Any:
    return lib.tensor([True, False, True])


def _edges(lib: Any) -> Any:
    return lib.tensor([0.0, 1.0])


# name -> call(lib, **out): the function, called with ``out=`` when it is given.
Call = Callable[..., Any]
CALLS: dict[str, Call] = {
    "addbmm": lambda m, **o: m.addbmm(_sq(m), _cube(m), _cube(m), **o),
    "addcdiv": lambda m, **o: m.addcdiv(_v(m), _v(m), _p(m), value=0.5, **o),
    "addcmul": lambda m, **o: m.addcmul(_v(m), _v(m), _p(m), **o),
    "addmm": lambda m, **o: m.addmm(_sq(m), _sq(m), _sq(m), **o),
    "addmv": lambda m, **o: m.addmv(m.ones(2), _m(m), _v(m), **o),
    "addr": lambda m, **o: m.addr(_sq(m), m.ones(2), m.ones(2), **o),
    "amax": lambda m, **o: m.amax(_m(m), 1, **o),
    "amin": lambda m, **o: m.amin(_m(m), 1, **o),
    "aminmax": lambda m, **o: m.aminmax(_m(m), dim=1, **o),
    "angle": lambda m, **o: m.angle(_v(m), **o),
    "argmax": lambda m, **o: m.argmax(_m(m), 1, **o),
    "argmin": lambda m, **o: m.argmin(_m(m), 1, **o),
    "argsort": lambda m, **o: m.argsort(_v(m), stable=True, **o),
    "baddbmm": lambda m, **o: m.baddbmm(_cube(m), _cube(m), _cube(m), **o),
    "bernoulli": lambda m, **o: m.bernoulli(_p(m), **o),
    "bitwise_and": lambda m, **o: m.bitwise_and(_n(m), 5, **o),
    "bitwise_left_shift": lambda m, **o: m.bitwise_left_shift(_n(m), 2, **o),
    "bitwise_not": lambda m, **o: m.bitwise_not(_n(m), **o),
    "bitwise_or": lambda m, **o: m.bitwise_or(_n(m), _n(m) + 1, **o),
    "bitwise_right_shift": lambda m, **o: m.bitwise_right_shift(_n(m), 1, **o),
    "bitwise_xor": lambda m, **o: m.bitwise_xor(_n(m), 5, **o),
    "bucketize": lambda m, **o: m.bucketize(_v(m), _edges(m), **o),
    "chain_matmul": lambda m, **o: m.chain_matmul(_sq(m), _sq(m), **o),
    "cholesky": lambda m, **o: m.cholesky(_sq(m), **o),
    "cholesky_inverse": lambda m, **o: m.cholesky_inverse(_sq(m), **o),
    "cholesky_solve": lambda m, **o: m.cholesky_solve(_sq(m), _sq(m), **o),
    "clamp_max": lambda m, **o: m.clamp_max(_v(m), 1.0, **o),
    "clamp_min": lambda m, **o: m.clamp_min(_v(m), 1.0, **o),
    "column_stack": lambda m, **o: m.column_stack([_v(m), _p(m)], **o),
    "concatenate": lambda m, **o: m.concatenate([_v(m), _p(m)], **o),
    "conj_physical": lambda m, **o: m.conj_physical(_v(m), **o),
    "cross": lambda m, **o: m.cross(_v(m), _p(m), dim=0, **o),
    "cummax": lambda m, **o: m.cummax(_v(m), 0, **o),
    "cummin": lambda m, **o: m.cummin(_v(m), 0, **o),
    "cumprod": lambda m, **o: m.cumprod(_v(m), 0, **o),
    "cumsum": lambda m, **o: m.cumsum(_v(m), 0, **o),
    "cumsum_of_integers": lambda m, **o: m.cumsum(_n(m), 0, **o),
    "deg2rad": lambda m, **o: m.deg2rad(_v(m), **o),
    "diag": lambda m, **o: m.diag(_v(m), **o),
    "diff": lambda m, **o: m.diff(_v(m), **o),
    "digamma": lambda m, **o: m.digamma(_p(m), **o),
    "dstack": lambda m, **o: m.dstack([_v(m), _p(m)], **o),
    "eq": lambda m, **o: m.eq(_v(m), _p(m), **o),
    "erfinv": lambda m, **o: m.erfinv(_p(m), **o),
    "float_power": lambda m, **o: m.float_power(_p(m), 2, **o),
    "floor_divide": lambda m, **o: m.floor_divide(_v(m), 0.3, **o),
    "fmax": lambda m, **o: m.fmax(_v(m), _p(m), **o),
    "fmin": lambda m, **o: m.fmin(_v(m), _p(m), **o),
    "frexp": lambda m, **o: m.frexp(_v(m), **o),
    "gather": lambda m, **o: m.gather(_m(m), 1, _i(m), **o),
    "gcd": lambda m, **o: m.gcd(_n(m), _n(m) * 2, **o),
    "ge": lambda m, **o: m.ge(_v(m), _p(m), **o),
    "geqrf": lambda m, **o: m.geqrf(_sq(m), **o),
    "ger": lambda m, **o: m.ger(_v(m), _p(m), **o),
    "greater": lambda m, **o: m.greater(_v(m), _p(m), **o),
    "greater_equal": lambda m, **o: m.greater_equal(_v(m), _p(m), **o),
    "gt": lambda m, **o: m.gt(_v(m), _p(m), **o),
    "hardshrink": lambda m, **o: m.hardshrink(_v(m), **o),
    "heaviside": lambda m, **o: m.heaviside(_v(m), _p(m), **o),
    "histc": lambda m, **o: m.histc(_v(m), bins=4, **o),
    "histogram": lambda m, **o: m.histogram(_v(m), bins=4, **o),
    "hstack": lambda m, **o: m.hstack([_v(m), _p(m)], **o),
    "i0": lambda m, **o: m.i0(_v(m), **o),
    "igamma": lambda m, **o: m.igamma(_p(m), _p(m), **o),
    "igammac": lambda m, **o: m.igammac(_p(m), _p(m), **o),
    "index_add": lambda m, **o: m.index_add(_m(m), 1, _cols(m), _sq(m), **o),
    "index_copy": lambda m, **o: m.index_copy(_m(m), 1, _cols(m), _sq(m), **o),
    "index_reduce": lambda m, **o: m.index_reduce(_m(m), 1, _cols(m), _sq(m), "prod", **o),
    "index_select": lambda m, **o: m.index_select(_m(m), 1, _cols(m), **o),
    "inner": lambda m, **o: m.inner(_v(m), _p(m), **o),
    "inverse": lambda m, **o: m.inverse(_sq(m), **o),
    "isin": lambda m, **o: m.isin(_n(m), m.tensor([4, 5]), **o),
    "isneginf": lambda m, **o: m.isneginf(_v(m) / 0, **o),
    "isposinf": lambda m, **o: m.isposinf(_v(m) / 0, **o),
    "kron": lambda m, **o: m.kron(_sq(m), _sq(m), **o),
    "kthvalue": lambda m, **o: m.kthvalue(_m(m), 2, **o),
    "lcm": lambda m, **o: m.lcm(_n(m), m.tensor([2, 3, 4]), **o),
    "ldexp": lambda m, **o: m.ldexp(_v(m), _n(m), **o),
    "le": lambda m, **o: m.le(_v(m), _p(m), **o),
    "lerp": lambda m, **o: m.lerp(_v(m), _p(m), 0.25, **o),
    "less": lambda m, **o: m.less(_v(m), _p(m), **o),
    "less_equal": lambda m, **o: m.less_equal(_v(m), _p(m), **o),
    "lgamma": lambda m, **o: m.lgamma(_p(m), **o),
    "log_softmax": lambda m, **o: m.log_softmax(_v(m), 0, **o),
    "logcumsumexp": lambda m, **o: m.logcumsumexp(_v(m), 0, **o),
    "logical_and": lambda m, **o: m.logical_and(_v(m), _p(m) - 0.5, **o),
    "logical_not": lambda m, **o: m.logical_not(_p(m) - 0.5, **o),
    "logical_or": lambda m, **o: m.logical_or(_v(m), _p(m) - 0.5, **o),
    "logical_xor": lambda m, **o: m.logical_xor(_v(m), _p(m) - 0.5, **o),
    "logit": lambda m, **o: m.logit(_p(m), **o),
    "logsumexp": lambda m, **o: m.logsumexp(_m(m), 1, **o),
    "lt": lambda m, **o: m.lt(_v(m), _p(m), **o),
    "lu_solve": lambda m, **o: m.lu_solve(_sq(m), *m.linalg.lu_factor(_sq(m)), **o),
    "lu_unpack": lambda m, **o: m.lu_unpack(*m.linalg.lu_factor(_sq(m)), **o),
    "masked_select": lambda m, **o: m.masked_select(_v(m), _mask(m), **o),
    "matrix_power": lambda m, **o: m.matrix_power(_sq(m), 3, **o),
    "max_along_a_dim": lambda m, **o: m.max(_m(m), 1, **o),
    "max_of_all": lambda m, **o: m.max(_m(m), **o),
    "maximum_by_max": lambda m, **o: m.max(_v(m), _p(m), **o),
    "mean": lambda m, **o: m.mean(_m(m), 1, **o),
    "median_along_a_dim": lambda m, **o: m.median(_m(m), 1, **o),
    "min_along_a_dim": lambda m, **o: m.min(_m(m), 1, **o),
    "mode": lambda m, **o: m.mode(_m(m), 1, **o),
    "msort": lambda m, **o: m.msort(_v(m), **o),
    "multinomial": lambda m, **o: m.multinomial(_p(m), 2, **o),
    "mvlgamma": lambda m, **o: m.mvlgamma(m.tensor([2.0, 3.0]), 2, **o),
    "nan_to_num": lambda m, **o: m.nan_to_num(_v(m) / 0, **o),
    "nanmean": lambda m, **o: m.nanmean(_m(m), 1, **o),
    "nanmedian_along_a_dim": lambda m, **o: m.nanmedian(_m(m), 1, **o),
    "nanquantile": lambda m, **o: m.nanquantile(_v(m), 0.5, **o),
    "nansum": lambda m, **o: m.nansum(_m(m), 1, **o),
    "ne": lambda m, **o: m.ne(_v(m), _p(m), **o),
    "nextafter": lambda m, **o: m.nextafter(_v(m), _p(m), **o),
    "nonzero": lambda m, **o: m.nonzero(_p(m) - 0.5, **o),
    "norm": lambda m, **o: m.norm(_m(m), dim=1, **o),
    "not_equal": lambda m, **o: m.not_equal(_v(m), _p(m), **o),
    "nuclear_norm": lambda m, **o: m.nuclear_norm(_sq(m), **o),
    "orgqr": lambda m, **o: m.orgqr(*m.geqrf(_sq(m)), **o),
    "ormqr": lambda m, **o: m.ormqr(*m.geqrf(_sq(m)), _sq(m), **o),
    "polygamma": lambda m, **o: m.polygamma(1, _p(m), **o),
    "prod": lambda m, **o: m.prod(_m(m), 1, **o),
    "qr": lambda m, **o: m.qr(_sq(m), **o),
    "quantile": lambda m, **o: m.quantile(_v(m), 0.5, **o),
    "rad2deg": lambda m, **o: m.rad2deg(_v(m), **o),
    "rand": lambda m, **o: m.rand(3, **o),
    "randint": lambda m, **o: m.randint(0, 5, (3,), **o),
    "randn": lambda m, **o: m.randn(3, **o),
    "randperm": lambda m, **o: m.randperm(4, **o),
    "range": lambda m, **o: m.range(0, 2, 0.5, **o),
    "renorm": lambda m, **o: m.renorm(_m(m), 2, 0, 1.0, **o),
    "row_stack": lambda m, **o: m.row_stack([_v(m), _p(m)], **o),
    "scatter": lambda m, **o: m.scatter(_m(m), 1, _i(m), 9.0, **o),
    "scatter_add": lambda m, **o: m.scatter_add(_m(m), 1, _i(m), _sq(m), **o),
    "scatter_reduce": lambda m, **o: m.scatter_reduce(_m(m), 1, _i(m), _sq(m), "amax", **o),
    "searchsorted": lambda m, **o: m.searchsorted(_edges(m), _v(m), **o),
    "signbit": lambda m, **o: m.signbit(_v(m), **o),
    "sinc": lambda m, **o: m.sinc(_v(m), **o),
    "slogdet": lambda m, **o: m.slogdet(_sq(m), **o),
    "softmax": lambda m, **o: m.softmax(_v(m), 0, **o),
    "sort": lambda m, **o: m.sort(_m(m), **o),
    "square": lambda m, **o: m.square(_v(m), **o),
    "std": lambda m, **o: m.std(_m(m), 1, **o),
    "sum": lambda m, **o: m.sum(_m(m), 1, **o),
    "sum_of_integers": lambda m, **o: m.sum(_n(m), 0, **o),
    "svd": lambda m, **o: m.svd(_sq(m), **o),
    "take": lambda m, **o: m.take(_v(m), _cols(m), **o),
    "take_along_dim": lambda m, **o: m.take_along_dim(_m(m), _i(m), 1, **o),
    "tensordot": lambda m, **o: m.tensordot(_sq(m), _sq(m), 1, **o),
    "threshold": lambda m, **o: m.threshold(_v(m), 0.0, 5.0, **o),
    "topk": lambda m, **o: m.topk(_v(m), 2, **o),
    "triangular_solve": lambda m, **o: m.triangular_solve(_sq(m), _sq(m), **o),
    "tril": lambda m, **o: m.tril(_sq(m), **o),
    "triu": lambda m, **o: m.triu(_sq(m), **o),
    "var": lambda m, **o: m.var(_m(m), 1, **o),
    "vdot": lambda m, **o: m.vdot(_v(m), _p(m), **o),
    "vstack": lambda m, **o: m.vstack([_v(m), _p(m)], **o),
    "xlogy": lambda m, **o: m.xlogy(_p(m), _p(m), **o),
    "linalg.cholesky": lambda m, **o: m.linalg.cholesky(_sq(m), **o),
    "linalg.cholesky_ex": lambda m, **o: m.linalg.cholesky_ex(_sq(m), **o),
    "linalg.cond": lambda m, **o: m.linalg.cond(_sq(m), **o),
    "linalg.cross": lambda m, **o: m.linalg.cross(_v(m), _p(m), **o),
    "linalg.det": lambda m, **o: m.linalg.det(_sq(m), **o),
    "linalg.eigh": lambda m, **o: m.linalg.eigh(_sq(m), **o),
    "linalg.eigvalsh": lambda m, **o: m.linalg.eigvalsh(_sq(m), **o),
    "linalg.householder_product": lambda m, **o: m.linalg.householder_product(
        *m.geqrf(_sq(m)), **o
    ),
    "linalg.inv": lambda m, **o: m.linalg.inv(_sq(m), **o),
    "linalg.inv_ex": lambda m, **o: m.linalg.inv_ex(_sq(m), **o),
    "linalg.ldl_factor": lambda m, **o: m.linalg.ldl_factor(_sq(m), **o),
    "linalg.ldl_factor_ex": lambda m, **o: m.linalg.ldl_factor_ex(_sq(m), **o),
    "linalg.ldl_solve": lambda m, **o: m.linalg.ldl_solve(
        *m.linalg.ldl_factor(_sq(m)), _sq(m), **o
    ),
    "linalg.lu": lambda m, **o: m.linalg.lu(_sq(m), **o),
    "linalg.lu_factor": lambda m, **o: m.linalg.lu_factor(_sq(m), **o),
    "linalg.lu_factor_ex": lambda m, **o: m.linalg.lu_factor_ex(_sq(m), **o),
    "linalg.lu_solve": lambda m, **o: m.linalg.lu_solve(*m.linalg.lu_factor(_sq(m)), _sq(m), **o),
    "linalg.matmul": lambda m, **o: m.linalg.matmul(_sq(m), _sq(m), **o),
    "linalg.matrix_norm": lambda m, **o: m.linalg.matrix_norm(_sq(m), **o),
    "linalg.matrix_power": lambda m, **o: m.linalg.matrix_power(_sq(m), 2, **o),
    "linalg.matrix_rank": lambda m, **o: m.linalg.matrix_rank(_sq(m), **o),
    "linalg.multi_dot": lambda m, **o: m.linalg.multi_dot([_sq(m), _sq(m)], **o),
    "linalg.norm": lambda m, **o: m.linalg.norm(_m(m), **o),
    "linalg.pinv": lambda m, **o: m.linalg.pinv(_sq(m), **o),
    "linalg.qr": lambda m, **o: m.linalg.qr(_sq(m), **o),
    "linalg.slogdet": lambda m, **o: m.linalg.slogdet(_sq(m), **o),
    "linalg.solve": lambda m, **o: m.linalg.solve(_sq(m), _sq(m), **o),
    "linalg.solve_ex": lambda m, **o: m.linalg.solve_ex(_sq(m), _sq(m), **o),
    "linalg.solve_triangular": lambda m, **o: m.linalg.solve_triangular(
        _sq(m).tril(), _sq(m), upper=False, **o
    ),
    "linalg.svd": lambda m, **o: m.linalg.svd(_sq(m), **o),
    "linalg.svdvals": lambda m, **o: m.linalg.svdvals(_sq(m), **o),
    "linalg.tensorinv": lambda m, **o: m.linalg.tensorinv(_sq(m), ind=1, **o),
    "linalg.tensorsolve": lambda m, **o: m.linalg.tensorsolve(_sq(m), _p(m)[:2], **o),
    "linalg.vecdot": lambda m, **o: m.linalg.vecdot(_v(m), _p(m), **o),
    "linalg.vector_norm": lambda m, **o: m.linalg.vector_norm(_v(m), **o),
    "special.gammainc": lambda m, **o: m.special.gammainc(_p(m), _p(m), **o),
    "special.gammaincc": lambda m, **o: m.special.gammaincc(_p(m), _p(m), **o),
    "special.logsumexp": lambda m, **o: m.special.logsumexp(_m(m), 1, **o),
    "special.multigammaln": lambda m, **o: m.special.multigammaln(_p(m) + 1, 2, **o),
    "special.polygamma": lambda m, **o: m.special.polygamma(2, _p(m), **o),
    "special.round": lambda m, **o: m.special.round(_v(m) * 3, **o),
    "special.xlog1py": lambda m, **o: m.special.xlog1py(_p(m), _p(m), **o),
    "special.xlogy": lambda m, **o: m.special.xlogy(_p(m), _p(m), **o),
    "special.zeta": lambda m, **o: m.special.zeta(_p(m) + 2, _p(m), **o),
}

# torch.special's functions of one tensor, each called on 0.2, 0.5, 0.8, and its polynomials,
# each of degree 0, 1 and 3 at those points.
SPECIAL_OF_ONE = (
    "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 digamma entr erfcx erfinv gammaln i0 i0e "
    "i1 i1e log_ndtr logit modified_bessel_i0 modified_bessel_i1 modified_bessel_k0 "
    "modified_bessel_k1 ndtr ndtri psi scaled_modified_bessel_k0 scaled_modified_bessel_k1 sinc "
    "spherical_bessel_j0"
)
POLYNOMIALS = (
    "chebyshev_polynomial_t chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w "
    "hermite_polynomial_h hermite_polynomial_he laguerre_polynomial_l legendre_polynomial_p "
    "shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v "
    "shifted_chebyshev_polynomial_w"
)
# Every declared op whose public function takes one or two tensors and nothing else, on the
# same points (their out= comes from the declaration: chainrule.declare).
DECLARED = {
    cls.public: declare._input_count(cls)
    for cls in REGISTRY.values()
    if cls.public
    and "apply" not in vars(cls)
    and not declare._constructor_parameters(cls)
    and hasattr(torch, cls.public)
}
for _name, _count in DECLARED.items():
    CALLS.setdefault(_name, lambda m, _f=_name, _n=_count, **o: getattr(m, _f)(*[_p(m)] * _n, **o))
for _name in SPECIAL_OF_ONE.split():
    CALLS[f"special.{_name}"] = lambda m, _f=_name, **o: getattr(m.special, _f)(_p(m), **o)
for _name in POLYNOMIALS.split():
    CALLS[f"special.{_name}"] = lambda m, _f=_name, **o: getattr(m.special, _f)(
        _p(m), m.tensor([0, 1, 3]), **o
    )


def _another(dtype: Any, lib: Any) -> Any:
    """A dtype other than the result's: double for a float result, float for any other."""
    return lib.float64 if dtype == lib.float32 else lib.float32


def _outcome(lib: Any, name: str, other: bool) -> dict[str, Any]:
    lib.manual_seed(0)
    plain = CALLS[name](lib)
    several = isinstance(plain, tuple)
    results = list(plain) if several else [plain]
    dtypes = [r.dtype for r in results]
    if other:
        dtypes[0] = _another(dtypes[0], lib)
    outs = [lib.empty(0, dtype=d) for d in dtypes]
    lib.manual_seed(0)
    try:
        returned = CALLS[name](lib, out=tuple(outs) if several else outs[0])
    except Exception as exc:  # the error itself is what is compared
        return {"error": (type(exc).__name__, str(exc).splitlines()[0])}
    got = list(returned) if several else [returned]
    return {
        "is_out": [a is b for a, b in zip(got, outs, strict=True)],
        "fields": getattr(returned, "__match_args__", None),  # a named tuple's fields
        "values": [np.asarray(t.tolist(), dtype=float) for t in outs],
        "dtypes": [str(t.dtype).split(".")[-1] for t in outs],
    }


@pytest.mark.parametrize("other", [False, True], ids=["result_dtype", "another_dtype"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_as_pytorchs(name: str, other: bool) -> None:
    ours, theirs = _outcome(cr, name, other), _outcome(torch, name, other)
    assert ours.keys() == theirs.keys(), (ours, theirs)
    if "error" in theirs:
        assert ours["error"][0] == theirs["error"][0], (ours, theirs)
        if theirs["error"][1].startswith("Expected out tensor to have dtype"):
            assert ours["error"][1] == theirs["error"][1]
        return
    assert ours["is_out"] == theirs["is_out"]
    assert ours["fields"] == theirs["fields"]
    assert ours["dtypes"] == theirs["dtypes"]
    for mine, reference in zip(ours["values"], theirs["values"], strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-7)


def _public(name: str) -> Any:
    """The function a key of CALLS names, or None for a key that names a case."""
    namespace, _, attribute = name.rpartition(".")
    return getattr(getattr(cr, namespace) if namespace else cr, attribute, None)


@pytest.mark.parametrize("name", sorted(n for n in CALLS if _public(n) is not None))
def test_a_function_given_out_is_still_found_by_pickle(name: str) -> None:
    function = _public(name)
    assert pickle.loads(pickle.dumps(function)) is function
