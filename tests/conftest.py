"""Fixtures shared by the test modules."""

import zlib

import numpy as np
import pytest


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded by the test's id: reproducible, yet different for every test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
