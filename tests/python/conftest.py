"""Shared pytest fixtures: one athena-local (seeded with examples/local) per test session."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from athena_local import EXAMPLES, AthenaLocal  # noqa: E402


@pytest.fixture(scope="session")
def athena_local():
    server = AthenaLocal(seeds=[EXAMPLES])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def athena(athena_local):
    return athena_local.client("athena")


@pytest.fixture(scope="session")
def s3(athena_local):
    return athena_local.client("s3")
