"""The op table covers every registered op, every op states its formula, and every check a
row switches off (jvp, second order, float32, the PyTorch twin) says why in ``why_off``.

A new ``Op`` subclass registers itself in ``chainrule.op.REGISTRY``; until a row of the op table
(``tests/op_table.py`` or ``tests/op_table_nn.py``) exercises it, the test below fails, so no op
ships without gradient checks.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from gradcheck_util import leaves, outputs_of
from op_table import SAME, SWITCHES, OpSpec, all_specs

import chainrule
from chainrule import graph
from chainrule.autodiff import batching
from chainrule.op import REGISTRY, Bilinear, Linear, Op

SPECS = all_specs()


def _import_all_modules() -> None:
    """Import every chainrule module, so that every Op subclass is registered (the optional
    dependencies are test dependencies: conftest.py stops the run without them)."""
    for info in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
        if info.name.rsplit(".", 1)[-1] == "__main__":  # running it would start the CLI
            continue
        importlib.import_module(info.name)


_import_all_modules()
OPS = sorted(REGISTRY)


def ops_in_graph(spec: OpSpec) -> set[str]:
    """The Op classes recorded when the row runs on each of its shape cases."""
    found: set[str] = set()
    rng = np.random.default_rng(0)
    for shapes in spec.shapes:
        outputs = outputs_of(spec.fn(*leaves(spec.sample(rng, shapes))))
        found.update(type(node).__name__ for node in graph.steps(y.grad_fn for y in outputs))
    return found


def test_every_registered_op_has_a_row_in_the_op_table() -> None:
    covered = {name for spec in SPECS for name in spec.covers}
    missing = sorted(set(OPS) - covered)
    assert not missing, f"ops without gradient tests (add rows to tests/op_table*.py): {missing}"


def test_row_names_are_unique() -> None:
    names = [spec.name for spec in SPECS]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS])
def test_row_records_the_ops_it_claims_to_cover(spec: OpSpec) -> None:
    assert spec.shapes, f"{spec.name}: no shape cases"
    unknown = set(spec.covers) - set(REGISTRY)
    assert not unknown, f"{spec.name} covers ops that are not registered: {sorted(unknown)}"
    absent = set(spec.covers) - ops_in_graph(spec)
    assert not absent, f"{spec.name} claims to cover {sorted(absent)} but never records them"


def unexplained_switches(spec: OpSpec) -> list[str]:
    """What is wrong with a row's switched-off checks: one without a reason, a reason for a
    check that is on, or a switch name that does not exist."""
    off = spec.switched_off()
    problems = [f"{s} is off without a reason" for s in sorted(off) if not _reason(spec, s)]
    problems += [f"a reason for {s}, which is on" for s in sorted(set(spec.why_off) - off)]
    return problems + [f"unknown switch {s}" for s in sorted(set(spec.why_off) - set(SWITCHES))]


def _reason(spec: OpSpec, switch: str) -> bool:
    reason = spec.why_off.get(switch)
    return isinstance(reason, str) and bool(reason.strip())


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS])
def test_every_check_a_row_switches_off_has_a_written_reason(spec: OpSpec) -> None:
    assert not unexplained_switches(spec), f"{spec.name}: {unexplained_switches(spec)}"


def test_a_switch_turned_off_silently_is_caught() -> None:
    row = OpSpec("r", lambda x: x, SAME, (), (((2,),),), jvp=False, why_off={"float32": " "})
    assert unexplained_switches(row) == [
        "jvp is off without a reason",
        "a reason for float32, which is on",
    ]
    assert unexplained_switches(OpSpec("r", lambda x: x, None, (), (((2,),),))) == [
        "torch is off without a reason"
    ]
    explained = OpSpec("r", lambda x: x, None, (), (((2,),),), why_off={"torch": "none exists"})
    assert unexplained_switches(explained) == []


def _forward_parameters(cls: type[Op]) -> tuple[list[str], bool]:
    """forward's parameter names after self, and whether it takes ``*args``."""
    params = list(inspect.signature(cls.forward).parameters.values())[1:]
    variadic = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    return [p.name for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL], variadic


@pytest.mark.parametrize("name", OPS)
def test_op_states_its_notation_and_one_derivative_per_input(name: str) -> None:
    cls = REGISTRY[name]
    assert isinstance(cls.notation, str) and cls.notation.strip(), f"{name}: empty notation"
    derivatives = cls.derivatives
    assert derivatives and all(isinstance(d, str) and d.strip() for d in derivatives), name
    params, variadic = _forward_parameters(cls)
    if variadic:  # Cat(*xs), Einsum(*operands): one formula stands for every input
        assert len(derivatives) >= 1, name
    else:
        assert len(derivatives) == len(params), (
            f"{name}: {len(derivatives)} derivatives for forward parameters {params}"
        )


@pytest.mark.parametrize("name", OPS)
def test_op_defines_forward_vjp_and_jvp(name: str) -> None:
    """Each rule is the op's own or its family's (``Unary`` derives both from ``partial``,
    ``Linear`` and ``Bilinear`` the jvp from the forward, ``Reduction`` both from weights)."""
    cls = REGISTRY[name]
    for rule in ("forward", "vjp", "jvp"):
        assert getattr(cls, rule) is not getattr(Op, rule), f"{name} does not define {rule}"


# Ops that run once per example under vmap, and why no batching rule fits them.
LOOPED = {
    "CopySlices": "never reached under vmap: an in-place change of a batched tensor is written "
    "into its physical tensor (ops/inplace.py), whose base's history it rewrites unbatched",
    "CrossEntropy": "never reached under vmap: there cross_entropy records its two ops, "
    "LogSoftmax and NllLoss, each with its rule",
    "LayerNorm": "never reached under vmap: there layer_norm records its composite (mean, "
    "rsqrt, ...), each op with its rule",
    "LSTMLayer": "never reached under vmap: there the recurrent layers record their steps, "
    "each op with its rule",
    "GRULayer": "never reached under vmap: there the recurrent layers record their steps, "
    "each op with its rule",
    "DropoutMask": "never reached under vmap: there dropout draws its mask with "
    "rng.per_example (one draw per example, or one for all, as randomness says)",
}


def test_every_op_has_a_batching_rule_or_a_reason_to_loop() -> None:
    without = {name for name in OPS if batching.rule_of(REGISTRY[name]) is None}
    assert without == set(LOOPED), (
        f"without a rule, not listed: {sorted(without - set(LOOPED))}; "
        f"listed, but with a rule now: {sorted(set(LOOPED) - without)}"
    )
    assert all(reason.strip() for reason in LOOPED.values())


@pytest.mark.parametrize("name", OPS)
def test_a_family_member_leaves_the_derivable_jvp_to_its_family(name: str) -> None:
    cls = REGISTRY[name]
    if issubclass(cls, Linear | Bilinear):
        assert "jvp" not in vars(cls), f"{name} writes the jvp its family derives"
