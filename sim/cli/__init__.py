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
- ``plugins/hydra_plugins/carequeue_launcher`` — the launchers of ``hydra/launcher=slurm``
  and ``local``: submitit's, with several jobs per array task (``chunk``).

Nothing outside this package imports Hydra or OmegaConf: ``sim`` is usable from Python with
plain objects alone (see :mod:`sim.replications`).
"""

import sys
from pathlib import Path

# Hydra finds launchers by walking the directories of the ``hydra_plugins`` namespace
# package on sys.path; an editable install maps packages through an import hook that such a
# walk cannot list, so CareQueue's plugin directory goes on sys.path itself (it holds
# nothing but ``hydra_plugins/``), before any command lets Hydra scan for plugins.
_PLUGINS = str(Path(__file__).resolve().parent / "plugins")
if _PLUGINS not in sys.path:
    sys.path.append(_PLUGINS)


def restore_launcher(name: str, state: dict) -> object:
    """A launcher of ``hydra_plugins.carequeue_launcher`` unpickled in a job's process
    (submitit's worker), which finds the plugin only once this package is imported."""
    import importlib  # noqa: PLC0415

    cls = getattr(importlib.import_module("hydra_plugins.carequeue_launcher.chunked"), name)
    launcher = cls.__new__(cls)
    launcher.__dict__.update(state)
    return launcher


def run_chunk(launcher: object, jobs: list) -> list:
    """One array task of a chunked sweep: ``launcher``'s jobs in turn, in this process
    (a function of this package so that the job's process can unpickle it). A job that
    fails even before it runs (its config cannot be loaded) is that job's failure only."""
    from hydra.core.utils import JobReturn, JobStatus  # noqa: PLC0415

    results = []
    for job in jobs:
        try:
            results.append(launcher.run_job(*job))  # type: ignore[attr-defined]
        except Exception as err:  # noqa: BLE001 - recorded as the job's result
            failed = JobReturn(overrides=list(job[0]), status=JobStatus.FAILED)
            failed.return_value = err
            results.append(failed)
    return results
