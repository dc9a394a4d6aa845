"""Optimizers and learning-rate schedules with PyTorch's names: ``chainrule.optim`` is
``torch.optim``.

    >>> import chainrule as cr
    >>> model = cr.nn.Linear(2, 1)
    >>> opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    >>> sorted(opt.state_dict()["param_groups"][0])[:3]
    ['amsgrad', 'betas', 'capturable']
"""

from chainrule.optim import lr_scheduler, swa_utils
from chainrule.optim.adadelta import Adadelta
from chainrule.optim.adafactor import Adafactor
from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam, AdamW
from chainrule.optim.adamax import Adamax
from chainrule.optim.lbfgs import LBFGS
from chainrule.optim.muon import Muon
from chainrule.optim.nadam import NAdam, RAdam
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.rprop import ASGD, Rprop
from chainrule.optim.sgd import SGD

__all__ = [
    "ASGD",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
    "swa_utils",
]
