"""PyTorch-style snippets with padding, pooling, resizing, transposed convolutions, folds and
parameter containers print the same text under chainrule as under PyTorch (the runner of
``tests/test_torch_snippets.py``: the source is run as written, then with ``torch`` replaced by
``chainrule``)."""

from __future__ import annotations

import pytest
from test_torch_snippets import run

SNIPPETS: dict[str, str] = {
    "segnet_style_pool_and_unpool": """
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        pool = nn.MaxPool2d(2, stride=2, return_indices=True)
        unpool = nn.MaxUnpool2d(2, stride=2)
        x = torch.arange(16.0).reshape(1, 1, 4, 4)
        values, indices = pool(x)
        print(pool, unpool)
        print(values, indices, sep="\\n")
        print(unpool(values, indices))
        print(unpool(values, indices, output_size=torch.Size([1, 1, 5, 5])).shape)
        error(lambda: unpool(values, torch.where(indices == 15, 99, indices)))
    """,
    "sequence_pooling": """
        import torch
        import torch.nn as nn
        x = torch.tensor([[[1.0, 5.0, 2.0, 4.0, 3.0, 0.0, 6.0]]])
        for layer in (nn.MaxPool1d(2), nn.MaxPool1d(3, stride=2, padding=1), nn.AvgPool1d(2),
                      nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False),
                      nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(1)):
            print(layer, layer(x))
        print(nn.AdaptiveMaxPool1d(2, return_indices=True)(x))
        print(nn.functional.max_pool1d(x, 2, return_indices=True))
        error(lambda: nn.MaxPool1d(2)(torch.ones(4)))
    """,
    "padding_layers": """
        import torch
        import torch.nn as nn
        x = torch.arange(6.0).reshape(1, 2, 3)
        for layer in (nn.ZeroPad1d(1), nn.ConstantPad1d((2, 0), -1.0), nn.ReflectionPad1d(2),
                      nn.ReplicationPad1d((0, 2)), nn.CircularPad1d(1)):
            print(layer, layer(x), sep="\\n")
        image = torch.arange(4.0).reshape(1, 1, 2, 2)
        print(nn.ZeroPad2d((1, 0, 0, 1))(image))
        print(nn.ReflectionPad2d(1)(image + 1).shape, nn.ReplicationPad1d(5)(x[:, :1]))
        error(lambda: nn.CircularPad1d(4)(x))
        error(lambda: nn.ReflectionPad1d(3)(x))
    """,
    "upsampling": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        print(nn.Upsample(scale_factor=2), nn.Upsample(size=(3, 3), mode="bilinear"))
        print(nn.Upsample(scale_factor=2)(x))
        print(nn.UpsamplingBilinear2d(scale_factor=2)(x))
        print(F.interpolate(x, size=3, mode="bilinear", align_corners=False))
        print(F.interpolate(x[0], scale_factor=1.5, mode="linear"))
        print(F.interpolate(x, scale_factor=0.5, mode="area"))
        error(lambda: F.interpolate(x, size=3, scale_factor=2))
        error(lambda: F.interpolate(x, size=3, mode="linear"))
    """,
    "decoder_with_transposed_convolutions": """
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        decoder = nn.Sequential(
            nn.Linear(4, 8 * 2 * 2), nn.Unflatten(1, (8, 2, 2)),
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 2, stride=2), nn.Sigmoid(),
        )
        print(decoder)
        image = decoder(torch.randn(3, 4))
        print(image.shape, round(image.sum().item(), 4))
        image.mean().backward()
        print([round(p.grad.abs().sum().item(), 4) for p in decoder.parameters()])
    """,
    "pixel_shuffle_and_folds": """
        import torch
        import torch.nn as nn
        x = torch.arange(16.0).reshape(1, 4, 2, 2)
        print(nn.PixelShuffle(2), nn.PixelShuffle(2)(x))
        print((nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(x)) == x).all())
        image = torch.arange(12.0).reshape(1, 1, 3, 4)
        patches = nn.Unfold(2)(image)
        print(nn.Unfold(2), patches.shape, patches[0, :, 0])
        print(nn.Fold((3, 4), 2)(patches))
        error(lambda: nn.PixelShuffle(2)(torch.ones(1, 3, 2, 2)))
    """,
    "parameter_containers": """
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        class Mixture(nn.Module):
            def __init__(self):
                super().__init__()
                self.means = nn.ParameterList([nn.Parameter(torch.randn(2)) for _ in range(3)])
                scales = {"b": nn.Parameter(torch.ones(2)), "a": torch.ones(1)}
                self.scales = nn.ParameterDict(scales)
            def forward(self, x):
                return sum(((x - m) * self.scales["b"]).pow(2).sum() for m in self.means)
        model = Mixture()
        print(model)
        print([name for name, _ in model.named_parameters()])
        model(torch.ones(2)).backward()
        print(model.means[0].grad, len(model.means), "a" in model.scales)
    """,
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's note about unpool batching
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
