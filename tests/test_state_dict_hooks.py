"""State dicts and their hooks behave as PyTorch's: the same snippet runs on both.

Each snippet is written for PyTorch and run twice, with the name ``torch`` bound to PyTorch and
then to chainrule. ``show(...)`` records values as plain data (a tensor becomes its class, dtype,
values and requires_grad), ``error(f)`` the exception's type and message, ``warns(f)`` the
warnings' categories and messages; in chainrule's record the word ``chainrule`` reads ``torch``
(``chainrule.Size`` for ``torch.Size``). The two records must be equal.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import chainrule as cr

SNIPPETS: dict[str, str] = {
    # ------------------------------------------------------------------ writing
    "keys_types_and_metadata": """
        m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(),
                                torch.nn.Linear(3, 1, bias=False))
        sd = m.state_dict()
        show(type(sd).__name__, list(sd), dict(sd._metadata))
        show([type(v).__name__ for v in sd.values()], [v.requires_grad for v in sd.values()])
        show(sd["1.num_batches_tracked"], sd["1.running_var"])
    """,
    "keep_vars_gives_the_parameters_and_detached_tensors_share_memory": """
        m = torch.nn.Linear(2, 1)
        kept, plain = m.state_dict(keep_vars=True), m.state_dict()
        show(kept["weight"] is m.weight, type(kept["bias"]).__name__, kept["bias"].requires_grad)
        show(plain["weight"] is m.weight, type(plain["weight"]).__name__, plain["weight"].grad_fn)
        with torch.no_grad():
            m.bias.fill_(7.0)
        show(plain["bias"], kept["bias"])
    """,
    "destination_and_prefix": """
        m = torch.nn.Sequential(torch.nn.Linear(1, 1))
        d = {}
        out = m.state_dict(destination=d, prefix="model.")
        show(out is d, list(d), hasattr(d, "_metadata"))
        from collections import OrderedDict
        od = OrderedDict(first=1)
        show(list(m.state_dict(destination=od)), hasattr(od, "_metadata"))
        show(dict(m.state_dict(prefix="a.b.")._metadata))
    """,
    "positional_arguments_are_deprecated": """
        m = torch.nn.Linear(1, 1)
        show(warns(lambda: show(list(m.state_dict(None, "x.")))))
        show(warns(lambda: show(m.state_dict(None, "", True)["weight"] is m.weight)))
        d = {}
        show(warns(lambda: show(m.state_dict(d) is d, list(d))))
        show(warns(lambda: show(list(m.state_dict(None, "ignored.", prefix="kw.")))))
        show(warns(lambda: list(m.state_dict())))
    """,
    "persistent_false_and_none_entries": """
        m = torch.nn.Linear(2, 1, bias=False)
        m.register_buffer("scratch", torch.ones(2), persistent=False)
        m.register_buffer("count", torch.tensor(3))
        m.register_buffer("absent", None)
        show(list(m.state_dict()), [n for n, _ in m.named_buffers()])
        error(lambda: m.load_state_dict({"weight": torch.ones(1, 2), "count": torch.tensor(4),
                                         "scratch": torch.zeros(2), "bias": torch.ones(1)}))
        show(m.load_state_dict({"weight": torch.ones(1, 2), "count": torch.tensor(4)}), m.count)
        show(m.scratch)
    """,
    "shared_module_under_each_name": """
        shared = torch.nn.Linear(1, 1)
        m = torch.nn.Sequential(shared, torch.nn.ReLU(), shared)
        show(list(m.state_dict()), list(m.state_dict()._metadata))
        sd = m.state_dict()
        sd["2.bias"] = torch.tensor([5.0])
        show(m.load_state_dict(sd), m[0].bias)
    """,
    # ------------------------------------------------------------------ reading
    "return_value_and_repr": """
        m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
        sd = m.state_dict()
        result = m.load_state_dict(sd)
        show(repr(result), result.missing_keys, result.unexpected_keys, tuple(result) == ([], []))
        sd.pop("1.bias")
        sd["extra"] = torch.ones(1)
        sd["0.nested.thing"] = torch.ones(1)
        result = m.load_state_dict(sd, strict=False)
        missing, unexpected = result
        show(repr(result), type(result).__name__, missing, unexpected, result._fields)
    """,
    "strict_errors": """
        m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
        sd = m.state_dict()
        sd.pop("1.bias")
        sd["extra"] = torch.ones(1)
        error(lambda: m.load_state_dict(sd))
        lin = torch.nn.Linear(2, 3)
        error(lambda: lin.load_state_dict({"weight": torch.ones(3, 3), "bias": torch.ones(3)}))
        error(lambda: lin.load_state_dict({"weight": torch.ones(3, 3)}, strict=False))
        error(lambda: lin.load_state_dict({"weight": torch.ones(3, 2), "bias": torch.ones(2),
                                           "x": torch.ones(1)}))
        error(lambda: lin.load_state_dict([("weight", torch.ones(3, 2))]))
    """,
    "values_that_are_not_tensors": """
        lin = torch.nn.Linear(2, 1)
        error(lambda: lin.load_state_dict({"weight": 1.0, "bias": [1.0]}))
        error(lambda: lin.load_state_dict({"weight": None}, strict=False))
        error(lambda: lin.load_state_dict({"weight": torch.ones(1, 2), "bias": "b"}))
        show(lin.weight)
    """,
    "entries_before_an_error_are_loaded": """
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Linear(1, 1))
        sd = {"0.weight": torch.tensor([[2.0]]), "0.bias": torch.tensor([3.0]),
              "1.weight": torch.ones(2, 1), "1.bias": torch.tensor([4.0])}
        error(lambda: m.load_state_dict(sd))
        show(m[0].weight, m[0].bias, m[1].bias)
    """,
    "dtype_casts_and_a_one_element_tensor_into_a_scalar": """
        m = torch.nn.Linear(2, 1)
        m.register_buffer("step", torch.tensor(0))
        sd = {"weight": torch.tensor([[1, 2]]), "bias": torch.tensor([0.5], dtype=torch.float64),
              "step": torch.tensor([9])}
        show(m.load_state_dict(sd), m.weight, m.bias, m.step)
        error(lambda: m.load_state_dict({**sd, "step": torch.tensor([1, 2])}))
    """,
    "loading_parameters_from_keep_vars": """
        source, target = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
        with torch.no_grad():
            source.weight.fill_(0.25)
        target.weight.requires_grad_(False)
        show(target.load_state_dict(source.state_dict(keep_vars=True)))
        show(target.weight, target.weight is source.weight, type(target.weight).__name__)
    """,
    "assign_with_hooks": """
        m = torch.nn.Linear(1, 1)
        seen = []
        m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, lm, *rest: seen.append(lm))
        new = {"weight": torch.ones(1, 1), "bias": torch.nn.Parameter(torch.zeros(1))}
        show(m.load_state_dict(new, assign=True), seen)
        show(m.bias is new["bias"], type(m.weight).__name__, m.weight.requires_grad)
    """,
    "meta_module_without_assign_warns": """
        m = torch.nn.Linear(2, 1).to("meta")
        show(warns(lambda: show(m.load_state_dict(torch.nn.Linear(2, 1).state_dict()))))
        show(m.weight.device.type)
    """,
    "lazy_modules_save_uninitialized_tensors_and_take_a_checkpoint_s_shapes": """
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.LazyLinear(2), torch.nn.LazyBatchNorm1d())
        sd = m.state_dict()
        show({k: type(v).__name__ for k, v in sd.items()}, dict(sd._metadata))
        source = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
        show(m.load_state_dict(source.state_dict()), m[0].in_features, m[0].weight, m[1].bias)
        show([type(v).__name__ for v in m.parameters()], m[0].has_uninitialized_params())
        x = torch.arange(6.0).reshape(2, 3)
        show((m(x) * 1e4).round(), repr(m[0]), torch.equal(m(x), source(x)))
        lazy = torch.nn.LazyLinear(2)
        show(lazy.load_state_dict(torch.nn.LazyLinear(2).state_dict()))
        error(lambda: lazy.load_state_dict({"weight": torch.ones(2, 3)}))
        show(type(lazy.weight).__name__, type(lazy.bias).__name__, lazy.weight)
        error(lambda: torch.nn.Linear(3, 2).load_state_dict(torch.nn.LazyLinear(2).state_dict()))
    """,
    # ------------------------------------------------------------------ overrides
    "extra_state": """
        class Counter(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.count = 0
                self.lin = torch.nn.Linear(1, 1)
            def get_extra_state(self):
                return {"count": self.count}
            def set_extra_state(self, state):
                self.count = state["count"]
        m = torch.nn.Sequential(Counter())
        m[0].count = 5
        sd = m.state_dict()
        show(list(sd), sd["0._extra_state"])
        fresh = torch.nn.Sequential(Counter())
        show(fresh.load_state_dict(sd), fresh[0].count)
        sd.pop("0._extra_state")
        error(lambda: fresh.load_state_dict(sd))
        show(fresh.load_state_dict(sd, strict=False))
        plain = torch.nn.Sequential(torch.nn.Linear(1, 1))
        error(lambda: plain.load_state_dict({**plain.state_dict(), "0._extra_state": 1}))
        error(lambda: torch.nn.Module().get_extra_state(), upto="called.")
        error(lambda: torch.nn.Module().set_extra_state(1), upto="called.")
    """,
    "overridden_save_and_load_rename_keys": """
        class Renamed(torch.nn.Linear):
            def _save_to_state_dict(self, destination, prefix, keep_vars):
                super()._save_to_state_dict(destination, prefix, keep_vars)
                destination[prefix + "w"] = destination.pop(prefix + "weight")
            def _load_from_state_dict(self, state_dict, prefix, *args):
                if prefix + "w" in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
                super()._load_from_state_dict(state_dict, prefix, *args)
        torch.manual_seed(0)
        m = torch.nn.Sequential(Renamed(2, 1))
        sd = m.state_dict()
        show(list(sd))
        other = torch.nn.Sequential(Renamed(2, 1))
        show(other.load_state_dict(sd), other[0].weight, m[0].weight)
    """,
    "overridden_load_sees_protocol_arguments": """
        seen = []
        class Spy(torch.nn.Linear):
            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs):
                seen.append((sorted(state_dict), prefix, local_metadata, strict,
                             list(missing_keys), list(unexpected_keys), list(error_msgs)))
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), Spy(1, 1))
        sd = m.state_dict()
        sd["junk"] = torch.ones(1)
        show(m.load_state_dict(sd, strict=False), seen)
        seen.clear()
        show(m.load_state_dict(dict(sd), strict=False), seen)
    """,
    "batch_norm_version_and_its_batch_count": """
        bn = torch.nn.BatchNorm1d(2)
        sd = bn.state_dict()
        show(dict(sd._metadata))
        sd.pop("num_batches_tracked")
        error(lambda: bn.load_state_dict(sd))
        show(bn.load_state_dict(dict(sd)), bn.num_batches_tracked)
        sd._metadata[""]["version"] = 1
        show(bn.load_state_dict(sd), bn.num_batches_tracked)
        net = torch.nn.Sequential(torch.nn.BatchNorm1d(1, track_running_stats=False))
        show(list(net.state_dict()), net.load_state_dict({"0.weight": torch.ones(1),
                                                          "0.bias": torch.ones(1)}))
    """,
    "instance_norm_refuses_statistics_it_does_not_track": """
        from collections import OrderedDict
        m = torch.nn.Sequential(torch.nn.InstanceNorm1d(2))
        stats = {"0.running_mean": torch.zeros(2), "0.running_var": torch.ones(2)}
        error(lambda: m.load_state_dict(stats))
        error(lambda: m.load_state_dict({"0.running_var": torch.ones(2)}, strict=False))
        versioned = OrderedDict(stats)
        versioned._metadata = {"0": {"version": 2}}
        show(m.load_state_dict(versioned, strict=False), list(stats))
        tracked = torch.nn.InstanceNorm2d(2, track_running_stats=True)
        show(list(tracked.state_dict()), tracked.load_state_dict({}, strict=False))
    """,
    "spectral_norm_records_its_format_in_the_metadata": """
        m = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 2))
        sd = m.state_dict()
        show(list(sd), dict(sd._metadata))
        show(m.load_state_dict(sd))
        torch.nn.utils.remove_spectral_norm(m)
        show(list(m.state_dict()), dict(m.state_dict()._metadata))
    """,
    # ------------------------------------------------------------------ hooks
    "state_dict_hooks_order_and_arguments": """
        log = []
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sequential(torch.nn.ReLU()))
        for name, mod in [("root", m), ("0", m[0]), ("1", m[1]), ("1.0", m[1][0])]:
            mod.register_state_dict_pre_hook(
                lambda mod, prefix, keep_vars, n=name: log.append(("pre", n, prefix, keep_vars)))
            mod.register_state_dict_post_hook(
                lambda mod, sd, prefix, lm, n=name: log.append(("post", n, prefix, lm, list(sd))))
        m.state_dict(prefix="top.", keep_vars=True)
        show(log)
    """,
    "load_hooks_order_and_arguments": """
        log = []
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Linear(1, 1))
        for name, mod in [("root", m), ("0", m[0]), ("1", m[1])]:
            mod.register_load_state_dict_pre_hook(
                lambda mod, sd, prefix, lm, strict, mk, uk, em, n=name: log.append(
                    ("pre", n, prefix, lm, strict, list(sd), list(mk), list(uk), list(em))))
            mod.register_load_state_dict_post_hook(
                lambda mod, keys, n=name: log.append(("post", n, repr(keys))))
        sd = m.state_dict()
        sd.pop("1.bias")
        sd["x"] = torch.ones(1)
        show(m.load_state_dict(sd, strict=False), log)
        log.clear()
        error(lambda: m.load_state_dict({"0.weight": torch.ones(2, 2)}))
        show(log)
    """,
    "hooks_registered_twice_run_twice_and_handles_remove_their_own": """
        log = []
        m = torch.nn.Linear(1, 1)
        hook = lambda mod, prefix, keep_vars: log.append(prefix)
        first = m.register_state_dict_pre_hook(hook)
        second = m.register_state_dict_pre_hook(hook)
        m.state_dict(prefix="a.")
        first.remove()
        m.state_dict(prefix="b.")
        first.remove()
        second.remove()
        m.state_dict(prefix="c.")
        post = m.register_load_state_dict_post_hook(lambda mod, keys: log.append("post"))
        pre = m.register_load_state_dict_pre_hook(lambda *args: log.append("pre"))
        m.load_state_dict(m.state_dict())
        post.remove(), pre.remove()
        m.load_state_dict(m.state_dict())
        show(log, type(first).__name__)
        log.clear()
        with m.register_state_dict_pre_hook(hook) as handle:
            m.state_dict(prefix="inside.")
        m.state_dict(prefix="after.")
        show(log, type(handle).__name__)
    """,
    "post_hooks_must_return_none": """
        m = torch.nn.Linear(1, 1)
        h = m.register_state_dict_post_hook(lambda *args: {"x": 1})
        error(lambda: m.state_dict())
        h.remove()
        m.register_load_state_dict_post_hook(lambda mod, keys: keys)
        error(lambda: m.load_state_dict(m.state_dict()))
    """,
    "state_dict_hooks_edit_in_place": """
        m = torch.nn.Sequential(torch.nn.Linear(1, 1))
        def drop_bias(mod, sd, prefix, lm):
            del sd[prefix + "bias"]
            sd[prefix + "note"] = "hi"
        m[0].register_state_dict_post_hook(drop_bias)
        sd = m.state_dict()
        show(list(sd), sd["0.note"])
    """,
    "load_post_hook_edits_the_keys_strict_reads": """
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Linear(1, 1))
        def forgive(mod, keys):
            keys.missing_keys[:] = [k for k in keys.missing_keys if not k.endswith("bias")]
            keys.unexpected_keys.clear()
        m.register_load_state_dict_post_hook(forgive)
        sd = m.state_dict()
        sd.pop("1.bias")
        sd["junk"] = torch.ones(1)
        show(m.load_state_dict(sd))
        def blame(mod, keys):
            keys.missing_keys.append("made.up")
        m[0].register_load_state_dict_post_hook(blame)
        error(lambda: m.load_state_dict(m.state_dict()))
        show(m.load_state_dict(m.state_dict(), strict=False))
    """,
    "load_pre_hook_renames_old_keys": """
        class Old(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(1, 1)
                self.register_load_state_dict_pre_hook(self.rename)
            def rename(self, mod, sd, prefix, *rest):
                for key in [k for k in sd if k.startswith(prefix + "fc.")]:
                    sd[prefix + "lin." + key[len(prefix) + 3:]] = sd.pop(key)
        m = torch.nn.Sequential(Old())
        old = {"0.fc.weight": torch.tensor([[2.0]]), "0.fc.bias": torch.tensor([1.0])}
        show(m.load_state_dict(old), m[0].lin.weight, m[0].lin.bias, list(old))
    """,
    "load_pre_hook_reports_its_own_errors_and_keys": """
        m = torch.nn.Sequential(torch.nn.Linear(1, 1))
        def complain(mod, sd, prefix, lm, strict, missing, unexpected, errors):
            errors.append(f"bad checkpoint at {prefix!r}")
            missing.append(prefix + "ghost")
        handle = m[0].register_load_state_dict_pre_hook(complain)
        error(lambda: m.load_state_dict(m.state_dict(), strict=False))
        error(lambda: m.load_state_dict(m.state_dict()))
        handle.remove()
        class Quiet(torch.nn.Linear):
            def _load_from_state_dict(self, state_dict, prefix, *args):
                pass  # loads nothing and runs no hooks
        q = Quiet(1, 1)
        q.register_load_state_dict_pre_hook(complain)
        show(q.load_state_dict({"anything": torch.ones(1)}))
    """,
    "private_hooks": """
        log = []
        m = torch.nn.Sequential(torch.nn.Linear(1, 1))
        m._register_state_dict_hook(lambda mod, sd, prefix, lm: {"replaced": prefix})
        m[0]._register_state_dict_hook(lambda mod, sd, prefix, lm: {"ignored": prefix})
        show(m.state_dict())
        m[0]._register_load_state_dict_pre_hook(
            lambda sd, prefix, lm, strict, mk, uk, em: log.append(("plain", prefix, sorted(sd))))
        m[0]._register_load_state_dict_pre_hook(
            lambda mod, sd, *rest: log.append(("with_module", type(mod).__name__)),
            with_module=True)
        m.load_state_dict(torch.nn.Sequential(torch.nn.Linear(1, 1)).state_dict())
        show(log)
        def hook(mod, sd, prefix, lm):
            pass
        m.register_state_dict_post_hook(hook)
        error(lambda: m._register_state_dict_hook(hook))
    """,
}


def _plain(value: Any) -> Any:
    """``value`` as data that compares across the two libraries."""
    if isinstance(value, (torch.Tensor, cr.Tensor)):
        kind = "Parameter" if isinstance(value, (torch.nn.Parameter, cr.nn.Parameter)) else ""
        return (kind, str(value.dtype).split(".")[-1], value.tolist(), value.requires_grad)
    if isinstance(value, BaseException):
        return (type(value).__name__, _text(str(value)))
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # the incompatible keys
        return _text(repr(value))
    if isinstance(value, dict):
        return (type(value).__name__, [(_plain(k), _plain(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, type):
        return _text(value.__name__)
    return value if value is None or isinstance(value, (bool, int, float)) else _text(repr(value))


def _text(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x...", text.replace("chainrule", "torch"))


def _run(lib: Any, source: str) -> list[Any]:
    record: list[Any] = []

    def show(*values: Any) -> None:
        record.append(_plain(values))

    def error(f: Callable[[], Any], upto: str | None = None) -> None:
        try:
            f()
        except Exception as caught:  # noqa: BLE001 -- recorded and compared
            message = str(caught)
            if upto is not None:
                message = message[: message.index(upto) + len(upto)]
            record.append(("error", type(caught).__name__, _text(message)))
            return
        record.append(("no error",))

    def warns(f: Callable[[], Any]) -> list[Any]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f()
        return [(w.category.__name__, _text(str(w.message))) for w in caught]

    lib.manual_seed(0)
    namespace = {"torch": lib, "show": show, "error": error, "warns": warns}
    exec(textwrap.dedent(source), namespace)  # noqa: S102 -- the snippets above
    return record


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_matches_pytorch(name: str) -> None:
    ours, theirs = _run(cr, SNIPPETS[name]), _run(torch, SNIPPETS[name])
    assert theirs, "the snippet records nothing"
    assert ours == theirs
