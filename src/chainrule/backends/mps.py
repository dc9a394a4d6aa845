"""``cr.backends.mps``: Apple's GPU backend, absent here as on a CPU-only PyTorch build."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
