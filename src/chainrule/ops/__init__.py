"""Differentiable primitives, one file per family; each op's rules stand side by side."""
