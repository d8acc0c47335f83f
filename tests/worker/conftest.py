"""Worker test fixtures: the real scoring service with the offline model (no weights needed).
Other test packages import them by these names (`service_fixture`, `service_parts_fixture`)."""

from __future__ import annotations

import pytest

from moderator.core.scoring import ScoringService
from tests.offline import offline_parts


@pytest.fixture(scope="module", name="service_parts")
def service_parts_fixture():
    return offline_parts()


@pytest.fixture(name="service")
def service_fixture(service_parts) -> ScoringService:
    return ScoringService(*service_parts)
