"""Fixtures for the ballots tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ballots import SigningKey

# The test modules import bundle_helpers; this folder is not a package (a tests/.../ballots
# package would shadow the real one), so put it on the path explicitly.
sys.path.insert(0, str(Path(__file__).parent))

from bundle_helpers import Bundle, make_bundle  # noqa: E402


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def bundle(tmp_path: Path, signing_key: SigningKey) -> Bundle:
    return make_bundle(tmp_path, signing_key)


@pytest.fixture
def bundle_factory(tmp_path: Path, signing_key: SigningKey) -> Callable[..., Bundle]:
    def build(**kw: Any) -> Bundle:
        return make_bundle(tmp_path, signing_key, **kw)

    return build
