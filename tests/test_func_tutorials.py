"""PyTorch's torch.func tutorials run under chainrule with only the import changed.

Each snippet is a tutorial's code (the PyTorch tutorials "Model ensembling", "Per-sample
gradients", "Jacobians, Hessians, hvp, vhp, and more" and "Neural Tangent Kernels"), with tiny
sizes and without the timing sections. It runs twice from the same seed: as written, and with
the word ``torch`` replaced by ``chainrule``. The tutorial's own asserts run in both, and the
values it computes (named at its end in ``results``) must agree. chainrule's seeded draws and
layer initialisations are PyTorch's bit for bit (``tests/test_torch_random.py``), so both runs
see the same data and parameters.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

TUTORIALS: dict[str, str] = {
    # https://pytorch.org/tutorials/intermediate/ensembling.html
    "model_ensembling": """
        import copy
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(0)

        class SimpleMLP(nn.Module):
            def __init__(self):
                super(SimpleMLP, self).__init__()
                self.fc1 = nn.Linear(12, 8)
                self.fc2 = nn.Linear(8, 8)
                self.fc3 = nn.Linear(8, 3)

            def forward(self, x):
                x = x.flatten(1)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.fc2(x)
                x = F.relu(x)
                x = self.fc3(x)
                return x

        device = 'cpu'
        num_models = 4
        data = torch.randn(10, 5, 1, 3, 4, device=device)
        targets = torch.randint(10, (50,), device=device)
        models = [SimpleMLP().to(device) for _ in range(num_models)]

        minibatches = data[:num_models]
        predictions_diff_minibatch_loop = [
            model(minibatch) for model, minibatch in zip(models, minibatches)
        ]
        minibatch = data[0]
        predictions2 = [model(minibatch) for model in models]

        from torch.func import stack_module_state
        params, buffers = stack_module_state(models)

        from torch.func import functional_call
        base_model = copy.deepcopy(models[0])
        base_model = base_model.to('meta')

        def fmodel(params, buffers, x):
            return functional_call(base_model, (params, buffers), (x,))

        print([p.size(0) for p in params.values()])
        assert minibatches.shape == (num_models, 5, 1, 3, 4)
        from torch import vmap
        predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)
        assert torch.allclose(
            predictions1_vmap, torch.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5
        )
        predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
        assert torch.allclose(predictions2_vmap, torch.stack(predictions2), atol=1e-3, rtol=1e-5)
        results = [predictions1_vmap, predictions2_vmap, params]
    """,
    # https://pytorch.org/tutorials/intermediate/per_sample_grads.html
    "per_sample_gradients": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(0)

        class SimpleCNN(nn.Module):
            def __init__(self):
                super(SimpleCNN, self).__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, 1)
                self.conv2 = nn.Conv2d(4, 4, 3, 1)
                self.fc1 = nn.Linear(16, 8)
                self.fc2 = nn.Linear(8, 10)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = self.conv2(x)
                x = F.relu(x)
                x = F.max_pool2d(x, 2)
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.fc2(x)
                output = F.log_softmax(x, dim=1)
                return output

        def loss_fn(predictions, targets):
            return F.nll_loss(predictions, targets)

        device = 'cpu'
        batch_size = 4
        data = torch.randn(batch_size, 1, 8, 8, device=device)
        targets = torch.randint(10, (batch_size,), device=device)

        model = SimpleCNN().to(device=device)
        predictions = model(data)
        loss = loss_fn(predictions, targets)
        loss.backward()

        def compute_grad(sample, target):
            sample = sample.unsqueeze(0)
            target = target.unsqueeze(0)
            prediction = model(sample)
            loss = loss_fn(prediction, target)
            return torch.autograd.grad(loss, list(model.parameters()))

        def compute_sample_grads(data, targets):
            sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]
            sample_grads = zip(*sample_grads)
            sample_grads = [torch.stack(shards) for shards in sample_grads]
            return sample_grads

        per_sample_grads = compute_sample_grads(data, targets)
        print(per_sample_grads[0].shape)

        from torch.func import functional_call, vmap, grad

        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            batch = sample.unsqueeze(0)
            targets = target.unsqueeze(0)
            predictions = functional_call(model, (params, buffers), (batch,))
            loss = loss_fn(predictions, targets)
            return loss

        ft_compute_grad = grad(compute_loss)
        ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
        ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)

        for per_sample_grad, ft_per_sample_grad in zip(
            per_sample_grads, ft_per_sample_grads.values()
        ):
            assert torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5)
        results = [per_sample_grads, ft_per_sample_grads, [p.grad for p in model.parameters()]]
    """,
    # https://pytorch.org/tutorials/intermediate/jacobians_hessians.html
    "jacobians_hessians": """
        import torch
        import torch.nn.functional as F
        from functools import partial
        _ = torch.manual_seed(0)

        def predict(weight, bias, x):
            return F.linear(x, weight, bias).tanh()

        D = 4
        weight = torch.randn(D, D)
        bias = torch.randn(D)
        x = torch.randn(D)  # feature vector

        def compute_jac(xp):
            jacobian_rows = [torch.autograd.grad(predict(weight, bias, xp), xp, vec)[0]
                             for vec in unit_vectors]
            return torch.stack(jacobian_rows)

        xp = x.clone().requires_grad_()
        unit_vectors = torch.eye(D)

        jacobian = compute_jac(xp)
        print(jacobian.shape)
        print(jacobian[0])  # show first row

        from torch.func import vmap, vjp

        _, vjp_fn = vjp(partial(predict, weight, bias), x)
        ft_jacobian, = vmap(vjp_fn)(unit_vectors)
        assert torch.allclose(ft_jacobian, jacobian)

        from torch.func import jacrev

        ft_jacobian = jacrev(predict, argnums=2)(weight, bias, x)
        assert torch.allclose(ft_jacobian, jacobian)
        chunked = jacrev(predict, argnums=2, chunk_size=3)(weight, bias, x)
        assert torch.allclose(chunked, jacobian)

        ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)
        ref_jac_bias = torch.autograd.functional.jacobian(partial(predict, weight, x=x), bias)
        assert torch.allclose(ft_jac_bias, ref_jac_bias)

        from torch.func import jacrev, jacfwd

        Din = 3
        Dout = 5
        weight = torch.randn(Dout, Din)
        bias = torch.randn(Dout)
        x = torch.randn(Din)

        using_fwd = jacfwd(predict, argnums=2)(weight, bias, x)
        using_bwd = jacrev(predict, argnums=2)(weight, bias, x)
        assert torch.allclose(using_fwd, using_bwd)
        fwd_weight, fwd_bias = jacfwd(predict, argnums=(0, 1))(weight, bias, x)

        from torch.func import hessian

        Din = 4
        Dout = 3
        weight = torch.randn(Dout, Din)
        bias = torch.randn(Dout)
        x = torch.randn(Din)

        hess_api = hessian(predict, argnums=2)(weight, bias, x)
        hess_fwdfwd = jacfwd(jacfwd(predict, argnums=2), argnums=2)(weight, bias, x)
        hess_revrev = jacrev(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
        assert torch.allclose(hess_api, hess_fwdfwd)
        assert torch.allclose(hess_api, hess_revrev)

        batch_size = 3
        Din = 3
        Dout = 4
        weight = torch.randn(Dout, Din)
        print(f"weight shape = {weight.shape}")
        bias = torch.randn(Dout)
        x = torch.randn(batch_size, Din)

        compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
        batch_jacobian0 = compute_batch_jacobian(weight, bias, x)

        def predict_with_output_summed(weight, bias, x):
            return predict(weight, bias, x).sum(0)

        batch_jacobian1 = jacrev(predict_with_output_summed, argnums=2)(weight, bias, x)
        batch_jacobian1 = batch_jacobian1.movedim(1, 0)
        assert torch.allclose(batch_jacobian0, batch_jacobian1)

        compute_batch_hessian = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))
        batch_hess = compute_batch_hessian(weight, bias, x)
        print(batch_hess.shape)

        from torch.func import jvp, grad, vjp

        def hvp(f, primals, tangents):
            return jvp(grad(f), primals, tangents)[1]

        def f(x):
            return x.sin().sum()

        x = torch.randn(6)
        tangent = torch.randn(6)
        result = hvp(f, (x,), (tangent,))

        def hvp_revrev(f, primals, tangents):
            _, vjp_fn = vjp(grad(f), *primals)
            return vjp_fn(*tangents)

        result_hvp_revrev = hvp_revrev(f, (x,), (tangent,))
        assert torch.allclose(result, result_hvp_revrev[0])

        def vhp(f, primals, tangents):
            _, vjp_fn = vjp(grad(f), *primals)
            return vjp_fn(*tangents)[0]

        assert torch.allclose(result, vhp(f, (x,), (tangent,)))
        results = [
            jacobian, ft_jac_weight, ft_jac_bias, using_fwd, fwd_weight, fwd_bias, hess_api,
            batch_jacobian0, batch_hess, result,
        ]
    """,
    # https://pytorch.org/tutorials/intermediate/neural_tangent_kernels.html
    "neural_tangent_kernels": """
        import torch
        import torch.nn as nn
        from torch.func import functional_call, vmap, vjp, jvp, jacrev
        torch.manual_seed(0)
        device = 'cuda' if torch.cuda.device_count() > 0 else 'cpu'

        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 2, (3, 3))
                self.conv2 = nn.Conv2d(2, 2, (3, 3))
                self.conv3 = nn.Conv2d(2, 2, (3, 3))
                self.fc = nn.Linear(8, 3)

            def forward(self, x):
                x = self.conv1(x)
                x = x.relu()
                x = self.conv2(x)
                x = x.relu()
                x = self.conv3(x)
                x = x.flatten(1)
                x = self.fc(x)
                return x

        x_train = torch.randn(3, 3, 8, 8, device=device)
        x_test = torch.randn(2, 3, 8, 8, device=device)
        net = CNN().to(device)

        # Detaching the parameters because we won't be calling Tensor.backward().
        params = {k: v.detach() for k, v in net.named_parameters()}

        def fnet_single(params, x):
            return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

        def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2, compute='full'):
            # Compute J(x1)
            jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
            jac1 = jac1.values()
            jac1 = [j.flatten(2) for j in jac1]

            # Compute J(x2)
            jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
            jac2 = jac2.values()
            jac2 = [j.flatten(2) for j in jac2]

            # Compute J(x1) @ J(x2).T
            einsum_expr = None
            if compute == 'full':
                einsum_expr = 'Naf,Mbf->NMab'
            elif compute == 'trace':
                einsum_expr = 'Naf,Maf->NM'
            elif compute == 'diagonal':
                einsum_expr = 'Naf,Maf->NMa'
            else:
                assert False

            result = torch.stack(
                [torch.einsum(einsum_expr, j1, j2) for j1, j2 in zip(jac1, jac2)]
            )
            result = result.sum(0)
            return result

        result = empirical_ntk_jacobian_contraction(fnet_single, params, x_train, x_test)
        print(result.shape)
        trace = empirical_ntk_jacobian_contraction(
            fnet_single, params, x_train, x_test, 'trace'
        )
        print(trace.shape)

        def empirical_ntk_ntk_vps(func, params, x1, x2, compute='full'):
            def get_ntk(x1, x2):
                def func_x1(params):
                    return func(params, x1)

                def func_x2(params):
                    return func(params, x2)

                output, vjp_fn = vjp(func_x1, params)

                def get_ntk_slice(vec):
                    # This computes ``vec @ J(x2).T``
                    # `vec` is some unit vector (a single slice of the Identity matrix)
                    vjps = vjp_fn(vec)
                    # This computes ``J(X1) @ vjps``
                    _, jvps = jvp(func_x2, (params,), vjps)
                    return jvps

                # Here's our identity matrix
                basis = torch.eye(
                    output.numel(), dtype=output.dtype, device=output.device
                ).view(output.numel(), -1)
                return vmap(get_ntk_slice)(basis)

            # ``get_ntk(x1, x2)`` computes the NTK for a single data point x1, x2
            # Since the x1, x2 inputs to ``empirical_ntk_ntk_vps`` are batched,
            # we actually wish to compute the NTK between every pair of data points
            # between {x1} and {x2}. That's what the ``vmaps`` here do.
            result = vmap(vmap(get_ntk, (None, 0)), (0, None))(x1, x2)

            if compute == 'full':
                return result
            if compute == 'trace':
                return torch.einsum('NMKK->NM', result)
            if compute == 'diagonal':
                return torch.einsum('NMKK->NMK', result)

        # Disable TensorFloat-32 for convolutions on Ampere+ GPUs to sacrifice performance in
        # favor of accuracy
        with torch.backends.cudnn.flags(allow_tf32=False):
            result_from_jacobian_contraction = empirical_ntk_jacobian_contraction(
                fnet_single, params, x_test, x_train
            )
            result_from_ntk_vps = empirical_ntk_ntk_vps(fnet_single, params, x_test, x_train)

        assert torch.allclose(result_from_jacobian_contraction, result_from_ntk_vps, atol=1e-5)
        trace_vps = empirical_ntk_ntk_vps(fnet_single, params, x_test, x_train, 'trace')
        results = [result, trace, result_from_ntk_vps, trace_vps]
    """,
}


def run(source: str, lib: str) -> tuple[str, list[np.ndarray]]:
    """What the snippet prints, and the arrays of its ``results``, run with ``lib``."""
    if lib == "chainrule":
        source = re.sub(r"\btorch\b", "chainrule", source)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    printed: list[str] = []
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    exec(compile(textwrap.dedent(source), lib, "exec"), namespace)  # noqa: S102 - ours
    return "\n".join(printed), [_array(x) for x in _leaves(namespace["results"])]


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, list | tuple):
        return [leaf for child in tree for leaf in _leaves(child)]
    return [tree]


def _array(x: Any) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, torch.Tensor | cr.Tensor) else np.asarray(x)


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs_and_computes_what_pytorch_computes(name: str) -> None:
    theirs_printed, theirs = run(TUTORIALS[name], "torch")
    ours_printed, ours = run(TUTORIALS[name], "chainrule")
    assert ours_printed.replace("chainrule", "torch") == theirs_printed
    assert len(ours) == len(theirs)
    for got, expected in zip(ours, theirs, strict=True):
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
