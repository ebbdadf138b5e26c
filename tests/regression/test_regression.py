"""Back-tests: each case's outputs are bit for bit those recorded in ``expected/``."""

from __future__ import annotations

import pytest

from tests.conftest import simulate

from .cases import CASES, differences, digest, load_expected


@pytest.mark.parametrize("case", list(CASES))
def test_outputs_unchanged(case):
    diff = differences(load_expected(case), digest(simulate(CASES[case])))
    assert not diff, (f"back-test {case!r} moved (regenerate with `python -m tests.regression "
                      f"{case}` only if the change is intended):\n" + "\n".join(diff[:40]))
