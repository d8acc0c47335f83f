"""Fixtures for the platform integrations: the offline scoring service (as tests/e2e uses) and
a live moderator (real uvicorn, real worker thread, real Redis) with sites."""

from __future__ import annotations

import pytest

from moderator.core.scoring import ScoringService
from tests.offline import offline_service


@pytest.fixture(scope="module", name="offline_service")
def offline_service_fixture() -> ScoringService:
    return offline_service()
