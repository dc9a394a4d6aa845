"""Data for training: the loader behind :mod:`chainrule.utils.data` (PyTorch's path, the one to
import from) in :mod:`chainrule.data.loader`, and the built-in data sets as NumPy arrays in
:mod:`chainrule.data.arrays` (:mod:`chainrule.datasets` gives them as tensors)."""
