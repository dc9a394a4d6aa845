"""Fixtures shared by the test modules, and the check that every test dependency is there.

A test never skips because a dependency is missing: the run stops before the first test with
the command that installs what is missing (the comparisons with PyTorch are the point).
"""

import importlib.util
import shutil
import tempfile
import zlib
from collections.abc import Iterator

import numpy as np
import pytest

# Module imported -> what to install. The pip names are pyproject's ``test`` extra.
TEST_DEPENDENCIES = {
    "torch": "torch==2.13.0",
    "hypothesis": "hypothesis",
    "pytest_timeout": "pytest-timeout",
    "safetensors": "safetensors",
    "threadpoolctl": "threadpoolctl",
    "sympy": "sympy",
    "rich": "rich",
    "click": "click",
    "tqdm": "tqdm",
    "matplotlib": "matplotlib",
    "sklearn": "scikit-learn",
    "graphviz": "graphviz",
}
INSTALL = "python -m pip install -e '.[test]' torch==2.13.0"


def missing_dependencies() -> list[str]:
    """What to install for the tests to run: pip packages and Graphviz's ``dot`` program."""
    missing = [pip for module, pip in TEST_DEPENDENCIES.items() if not _importable(module)]
    if shutil.which("dot") is None:
        missing.append("Graphviz's dot program (apt-get install -y graphviz)")
    return missing


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def pytest_configure(config: pytest.Config) -> None:
    missing = missing_dependencies()
    if missing:
        raise pytest.UsageError(
            f"test dependencies missing: {', '.join(missing)}; install them with: {INSTALL}"
        )


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded by the test's id: reproducible, yet different for every test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True, scope="session")
def _temporary_files_under_pytest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Temporary folders the code under test makes (doctests' ``tempfile.mkdtemp()``, the
    trained checkpoints of ``trained_digits``) go under pytest's own temporary folder, which
    pytest prunes to its last few runs, not loose into the system's on every run."""
    before = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tempfile"))
    yield
    tempfile.tempdir = before
