"""Everything that knows Hydra: config schemas, the commands, sweep jobs and callbacks.

- :mod:`~sim.cli.schema` — the structured config schemas, composing a config.
- :mod:`~sim.cli.scenario` — a scenario from its config node.
- :mod:`~sim.cli.config` — building a :class:`sim.replications.Setup` of plain objects (the
  only bridge from Hydra's config to the rest of CareQueue).
- :mod:`~sim.cli.run` — ``python -m sim``: run, write the results directory.
- :mod:`~sim.cli.jobs` — a sweep job's life: skip when complete, record a failure.
- :mod:`~sim.cli.callbacks` — compare a sweep's jobs when it ends.
- :mod:`~sim.cli.optimize` — ``python -m sim.optimize``: the command and its schema.
- :mod:`~sim.cli.overrides` — Hydra's override syntax, for reading a sweep's jobs.

Nothing outside this package imports Hydra or OmegaConf: ``sim`` is usable from Python with
plain objects alone (see :mod:`sim.replications`).
"""
