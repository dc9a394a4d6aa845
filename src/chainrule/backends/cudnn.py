"""``cr.backends.cudnn``: the flags tutorials set (``benchmark``, ``deterministic``) are kept
and change nothing: NumPy's CPU kernels are deterministic and have no autotuner."""

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    return False


def version() -> None:
    return None
