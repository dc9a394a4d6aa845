"""Seed 002's two-layer ``nn.Sequential`` example, run as written with ``cr`` for ``torch``."""

import torch

import chainrule as cr

# Weights chosen so that every value is exact in float32 and the ReLU is active:
# h = relu(0.5 * 2 + 0.25) = 1.25, y = 2 * 1.25 + 0.5 = 3, loss = (3 - 10)² = 49, dL/dy = -14.
WEIGHTS = {"0.weight": 0.5, "0.bias": 0.25, "2.weight": 2.0, "2.bias": 0.5}
EXPECTED_GRADS = {
    "0.weight": -14 * 2.0 * 2.0,  # dL/dy · w2 · x
    "0.bias": -14 * 2.0,  # dL/dy · w2
    "2.weight": -14 * 1.25,  # dL/dy · h
    "2.bias": -14.0,
}


def _model():
    model = cr.nn.Sequential(
        cr.nn.Linear(1, 1),  # Layer 1
        cr.nn.ReLU(),
        cr.nn.Linear(1, 1),  # Layer 2
    )
    with cr.no_grad():
        for name, param in model.named_parameters():
            param.fill_(WEIGHTS[name])
    return model


def test_sequential_example_gradients_through_both_layers(capsys):
    model = _model()
    x = cr.tensor([[2.0]])
    y_true = cr.tensor([[10.0]])

    y_pred = model(x)
    loss = (y_pred - y_true) ** 2
    loss.backward()

    for name, param in model.named_parameters():
        print(f"{name}: gradient = {param.grad}")

    assert loss.item() == 49.0
    grads = {name: param.grad.item() for name, param in model.named_parameters()}
    assert grads == EXPECTED_GRADS
    assert capsys.readouterr().out == (
        "0.weight: gradient = tensor([[-56.]])\n"
        "0.bias: gradient = tensor([-28.])\n"
        "2.weight: gradient = tensor([[-17.5000]])\n"
        "2.bias: gradient = tensor([-14.])\n"
    )


def test_sequential_example_matches_pytorch():
    model = _model()
    reference = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    with torch.no_grad():
        for name, param in reference.named_parameters():
            param.fill_(WEIGHTS[name])

    ((model(cr.tensor([[2.0]])) - cr.tensor([[10.0]])) ** 2).backward()
    ((reference(torch.tensor([[2.0]])) - torch.tensor([[10.0]])) ** 2).backward()

    ours = {name: p.grad.tolist() for name, p in model.named_parameters()}
    theirs = {name: p.grad.tolist() for name, p in reference.named_parameters()}
    assert ours == theirs
