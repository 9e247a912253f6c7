"""``make load``'s projection lag, read from sampled checkpoints (PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from bench.load import lags
from projections.engine import projection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_with_no_events_since_the_start_every_projection_has_no_lag_to_show():
    found = lags([], time.time() + 3600)
    assert found == {name: [] for name in [*projection.names(), "all projections"]}
