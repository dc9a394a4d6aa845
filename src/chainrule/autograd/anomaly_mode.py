"""``cr.autograd.anomaly_mode``: anomaly mode under PyTorch's module name, the same objects as
``cr.autograd.detect_anomaly`` and ``set_detect_anomaly`` (:mod:`chainrule.autodiff.anomaly`).

>>> import chainrule as cr
>>> from chainrule.autograd.anomaly_mode import set_detect_anomaly
>>> with set_detect_anomaly(True):
...     cr.autograd.is_anomaly_enabled()
True
"""

from chainrule.autodiff.anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
