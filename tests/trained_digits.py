"""Small digits classifiers trained by ``chainrule train`` once per test process, and their
PyTorch twins with the same weights.

A few epochs (seconds) rather than a checkpoint in the repository: the attribution, attack
and command tests need real trained weights, not the most accurate ones.

    >>> path = checkpoint("mlp")
    >>> path.name
    'mlp.safetensors'
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from chainrule import training

EPOCHS = {"mlp": 3, "cnn": 2}


@functools.cache
def checkpoint(kind: str) -> Path:
    """The checkpoint ``chainrule train --model KIND`` writes, after ``EPOCHS[kind]`` epochs."""
    out = tempfile.mkdtemp(prefix=f"chainrule-{kind}-")
    config = training.TrainConfig(model=kind, epochs=EPOCHS[kind], out=out)
    return training.train(config, log=lambda line: None).checkpoint


def models(kind: str) -> tuple[Any, Any]:
    """The trained chainrule model and a torch model holding the same weights, both in eval mode."""
    import torch

    model, _ = training.load_model(checkpoint(kind))
    twin = training.build_model(kind, nn=torch.nn)
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return model, twin.eval()
