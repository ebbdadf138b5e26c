"""Back-tests: digests of real outputs of the default study and of every shipped policy.

``expected/`` holds, per case, the bit-level digests of every result table (rows in a
canonical order) and the summary's values. ``tests/regression/test_regression.py`` re-runs
each case and compares; a change to the model's behaviour shows as the tables and columns
that moved. After an intended change, regenerate with ``python -m tests.regression`` and
say in the commit what changed and why.
"""
