"""Three-dimensional layers and functions (Conv3d, ConvTranspose3d, the 3-D and LP poolings,
3-D padding and normalization, channel dropout) against PyTorch: what the op table does not
check (indices, masks, errors, module attributes, reprs and state_dict keys), and snippets
written for PyTorch that print the same text under chainrule (the runner of
``tests/test_torch_snippets.py``)."""

from __future__ import annotations

import pytest
from test_torch_snippets import run

SNIPPETS: dict[str, str] = {
    "cnn3d_training_step": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv3d(2, 4, 3, padding=1),
            nn.BatchNorm3d(4),
            nn.ReLU(),
            nn.MaxPool3d(2),
            nn.Conv3d(4, 6, (2, 3, 3), padding="same", padding_mode="reflect", bias=False),
            nn.Dropout3d(0.25),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(),
            nn.Linear(6, 3),
        )
        print(model)
        print(list(model.state_dict().keys()))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = torch.randn(4, 2, 6, 6, 6)
        y = torch.tensor([0, 2, 1, 2])
        for step in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            print(step, round(loss.item(), 4), round(model[0].weight.grad.norm().item(), 4))
        print(model[1].running_mean, model[1].num_batches_tracked)
        model.eval()
        print(model(x[:1]).detach().round(decimals=3))
    """,
    "volume_autoencoder_transposed": """
        import torch
        import torch.nn as nn
        torch.manual_seed(1)
        down = nn.Conv3d(1, 2, 3, stride=2, padding=1)
        up = nn.ConvTranspose3d(2, 1, 3, stride=2, padding=1, output_padding=1)
        grouped = nn.ConvTranspose3d(4, 2, (1, 2, 3), stride=(1, 2, 1), groups=2,
                                     dilation=(1, 1, 2))
        print(down, up, grouped, sep="\\n")
        print(up.weight.shape, grouped.weight.shape, grouped.bias.shape)
        x = torch.randn(2, 1, 4, 6, 5)
        h = down(x)
        print(h.shape, up(h).shape, up(h, output_size=[3, 5, 5]).shape)
        out = up(h)
        out.sum().backward()
        print(round(down.weight.grad.sum().item(), 4), up.bias.grad)
        print(grouped(torch.randn(4, 3, 2, 2)).shape)
        error(lambda: up(h, output_size=[9, 9, 9]))
        error(lambda: nn.ConvTranspose3d(2, 2, 2, padding_mode="reflect"))
    """,
    "volume_pooling_layers": """
        import torch
        import torch.nn as nn
        x = torch.arange(2 * 4 * 4 * 5, dtype=torch.float32).reshape(1, 2, 4, 4, 5) % 7
        for layer in (nn.MaxPool3d(2), nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True),
                      nn.AvgPool3d(2), nn.AvgPool3d((2, 3, 3), stride=1, padding=1,
                                                    count_include_pad=False),
                      nn.AvgPool3d(2, divisor_override=3), nn.AdaptiveAvgPool3d((1, 2, None)),
                      nn.AdaptiveMaxPool3d(2), nn.LPPool3d(2, 2), nn.LPPool2d(1, (2, 2)),
                      nn.LPPool1d(3, 2, stride=1)):
            print(layer)
            print(layer(x if "3d" in type(layer).__name__ else x[0, 0]).round(decimals=4))
        values, indices = nn.MaxPool3d(2, return_indices=True)(x)
        print(indices)
        unpool = nn.MaxUnpool3d(2)
        print(unpool, unpool(values, indices).shape, unpool(values, indices).sum())
        print(nn.AdaptiveMaxPool3d((2, 1, 3), return_indices=True)(x)[1])
        print(nn.functional.adaptive_max_pool2d_with_indices(x[0], 2)[1])
        print(nn.functional.adaptive_max_pool1d_with_indices(x[0, 0], 3)[1])
        print(nn.functional.max_pool3d_with_indices(x, 2, stride=1)[1][0, 0, 0])
    """,
    "volume_norms_and_padding": """
        import torch
        import torch.nn as nn
        torch.manual_seed(2)
        x = torch.randn(2, 3, 2, 3, 2)
        bn, inorm = nn.BatchNorm3d(3), nn.InstanceNorm3d(3, affine=True)
        print(bn, inorm, sep="\\n")
        print(list(bn.state_dict()), list(inorm.state_dict()))
        print(bool(bn(x).mean().abs() < 1e-6), bn.running_var.round(decimals=4))
        print(inorm(x)[0, 0].detach().round(decimals=4), inorm(x[0]).shape)
        for layer in (nn.ConstantPad3d(1, 2.5), nn.ZeroPad3d((1, 0, 0, 1, 1, 0)),
                      nn.ReflectionPad3d(1), nn.ReplicationPad3d((0, 1, 1, 0, 2, 0)),
                      nn.CircularPad3d(1)):
            print(layer, layer(x).shape, round(layer(x).sum().item(), 3))
        y = torch.arange(8.0).reshape(1, 1, 2, 2, 2)
        print(nn.ReflectionPad3d(1)(y)[0, 0, 0], nn.CircularPad3d((1, 0, 0, 0, 0, 1))(y)[0, 0])
    """,
    "channel_dropout": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(3)
        for layer, x in ((nn.Dropout1d(0.5), torch.ones(2, 4, 3)),
                         (nn.Dropout1d(), torch.ones(4, 3)),
                         (nn.Dropout2d(0.3), torch.ones(2, 4, 2, 2)),
                         (nn.Dropout3d(0.6), torch.ones(2, 3, 1, 2, 2)),
                         (nn.Dropout3d(0.6), torch.ones(3, 1, 2, 2))):
            print(layer, layer(x).flatten().tolist())
            layer.eval()
            print(layer(x).sum())
        print(F.dropout3d(torch.ones(1, 2, 1, 1, 1), 1.0), F.dropout2d(torch.ones(2, 2, 1, 1), 0.0))
        print(F.dropout1d(torch.ones(2, 3), training=False).sum())
        error(lambda: F.dropout1d(torch.ones(2, 2, 2, 2)))
        error(lambda: nn.Dropout3d(1.5))
        error(lambda: F.dropout2d(torch.ones(2, 2, 2, 2), -0.1))
    """,
    "conv3d_padding_modes_and_errors": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(4)
        x = torch.randn(1, 2, 3, 4, 3)
        for mode in ("zeros", "reflect", "replicate", "circular"):
            conv = nn.Conv3d(2, 2, (3, 2, 3), padding=(1, 1, 1), dilation=(1, 2, 1),
                             padding_mode=mode)
            print(conv, conv(x).shape, round(conv(x).sum().item(), 3))
        print(nn.Conv3d(2, 4, 1, groups=2, bias=False).weight.shape)
        w = torch.randn(4, 2, 3, 3, 3)
        error(lambda: F.conv3d(torch.randn(2, 3), w))
        error(lambda: F.conv3d(torch.randn(1, 3, 4, 4, 4), w))
        error(lambda: F.conv3d(torch.randn(1, 2, 2, 4, 4), w))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, torch.randn(3)))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, stride=(1, 2)))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, stride=0))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, padding=-1))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, stride=2, padding="same"))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, padding="full"))
        error(lambda: F.conv3d(torch.randn(1, 4, 4, 4, 4), torch.randn(4, 1, 3, 3, 3), groups=3))
        error(lambda: nn.Conv3d(2, 4, 3, stride=2, padding="same"))
        error(lambda: nn.Conv3d(3, 4, 3, groups=2))
        error(lambda: nn.Conv3d(2, 4, 3, padding_mode="mirror"))
        error(lambda: F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(3, 2, 2, 2, 2)))
        error(lambda: F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(2, 2, 2, 2, 2),
                                         output_padding=1))
        error(lambda: F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(2, 2, 2, 2, 2),
                                         torch.randn(3)))
        error(lambda: F.conv_transpose3d(torch.randn(2, 3), torch.randn(2, 2, 2, 2, 2)))
    """,
    "volume_pooling_errors": """
        import torch
        import torch.nn.functional as F
        x = torch.randn(2, 2, 5, 5, 5)
        error(lambda: F.max_pool3d(torch.randn(2, 3), 2))
        error(lambda: F.max_pool3d(x, (2, 2)))
        error(lambda: F.max_pool3d(x, 2, stride=(1, 2)))
        error(lambda: F.max_pool3d(x, 2, padding=2))
        error(lambda: F.max_pool3d(x, 2, stride=0))
        error(lambda: F.max_pool3d(x, 2, stride=-1))
        error(lambda: F.max_pool3d(x, 2, dilation=0))
        error(lambda: F.max_pool3d(x, 2, padding=-1))
        error(lambda: F.max_pool3d(x, 7))
        error(lambda: F.avg_pool3d(x, 7))
        error(lambda: F.avg_pool3d(x, 2, divisor_override=0))
        error(lambda: F.avg_pool3d(x, 2, padding=2))
        error(lambda: F.adaptive_avg_pool3d(torch.randn(2, 3), 2))
        error(lambda: F.adaptive_max_pool3d(torch.randn(2, 3), 2))
        error(lambda: F.adaptive_avg_pool3d(x, (2, 2)))
        values, indices = F.max_pool3d(x[..., :4, :4, :4], 2, return_indices=True)
        bad = torch.where(indices == indices.max(), 1000, indices)
        error(lambda: F.max_unpool3d(values, bad, 2))
        error(lambda: F.max_unpool3d(values, indices.int(), 2))
        error(lambda: F.max_unpool3d(values, indices, 2, output_size=(3, 3)))
        print(F.max_pool3d(x, (2,)).shape, F.avg_pool3d(x, (3,), stride=[]).shape)
        print(F.max_pool3d(x, 2, stride=[]).shape, F.lp_pool3d(x, 2, (1, 2, 3)).shape)
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's "same" with an even kernel
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
