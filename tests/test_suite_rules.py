"""The suite checks what it claims: a missing test dependency stops the run, never skips."""

import importlib.util

import conftest
import pytest


def test_a_missing_dependency_stops_the_run_with_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "torch" else real(name)
    )
    assert conftest.missing_dependencies() == ["torch==2.13.0"]
    with pytest.raises(pytest.UsageError, match=r"missing: torch==2\.13\.0; install them with"):
        conftest.pytest_configure(None)


def test_a_missing_dot_program_stops_the_run(monkeypatch):
    monkeypatch.setattr(conftest.shutil, "which", lambda name: None)
    with pytest.raises(pytest.UsageError, match="Graphviz's dot program"):
        conftest.pytest_configure(None)
