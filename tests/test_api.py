"""sim.api, the notebook API: a run saved is a run loaded (README: api.save, api.load)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import api


@pytest.fixture(scope="module")
def small():
    return api.run("scenario=erlang", "run.horizon=1d", "run.warmup=0", "run.replications=2")


def test_a_saved_run_loads_with_its_tables_and_configuration(tmp_path, small):
    api.save(small, tmp_path / "run")
    loaded = api.load(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.summary.reset_index(drop=True),
                                  pd.read_csv(tmp_path / "run" / "summary.csv"))
    assert len(loaded.contacts) == len(small.contacts)
    assert loaded.overrides == small.overrides and loaded.config_yaml == small.config_yaml
    assert api.metric(loaded, "service_level")["n"] == 2


def test_loading_an_incomplete_directory_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="summary.csv"):
        api.load(tmp_path)
