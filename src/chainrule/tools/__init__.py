"""Tools that read the graph the engine recorded: the chain-rule explainer and its renderings
(``explanation_json``, ``render``, ``viz``), gradcheck, diagnostics and attribution.

>>> from chainrule.tools import explain
>>> float(explain("(3*x + 1)**2", x=1).grad("x"))   # 6 (3x + 1)
24.0
"""

from chainrule.tools.explain import Explanation, explain

__all__ = ["Explanation", "explain"]
