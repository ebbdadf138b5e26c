"""Submitit's launchers (``hydra/launcher=slurm``, ``local``), several jobs per array task.

A sweep of 10,000 short jobs should not be 10,000 SLURM tasks: each pays the scheduler's
start-up and a fresh Python with its imports, and sites cap array sizes. Here the jobs go
in *chunks*: the array has one task per chunk, and a task runs its chunk's jobs one after
the other in one process (as Hydra's basic launcher runs a whole sweep), each job still in
its own directory with its own ``job.json`` or ``error.txt``; a failed job does not stop
the others of its chunk.

``chunk``: jobs per array task; ``null`` (the default) sizes chunks so that the array has
at most ``max_tasks`` tasks (1 job a task for sweeps up to that size). Everything else is
the submitit plugin's (``hydra_plugins.hydra_submitit_launcher``, the ``slurm`` extra):
nothing here runs when it is not installed.

Imported by Hydra's plugin scan at every start of ``python -m sim``: it imports nothing
heavy (submitit itself only when a sweep launches).
"""


import functools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton

log = logging.getLogger(__name__)

try:
    from hydra_plugins.hydra_submitit_launcher import config as _conf
    from hydra_plugins.hydra_submitit_launcher import submitit_launcher as _base
except ImportError:  # the slurm extra is not installed: no launcher to extend
    _base = None


def chunk_size(jobs: int, chunk: Optional[int], max_tasks: int) -> int:
    """Jobs per array task: ``chunk``, or the fewest that keep the array within
    ``max_tasks`` tasks."""
    if chunk is not None:
        if int(chunk) < 1:
            raise ValueError(f"hydra.launcher.chunk={chunk}: must be an integer >= 1 "
                             "(or null: sized from hydra.launcher.max_tasks)")
        return int(chunk)
    if int(max_tasks) < 1:
        raise ValueError(f"hydra.launcher.max_tasks={max_tasks}: must be an integer >= 1")
    return max(1, math.ceil(jobs / int(max_tasks)))


if _base is not None:

    class _Chunked:
        """The launch of submitit's launchers, with chunks of jobs per array task."""

        _EXECUTOR: str

        def __init__(self, chunk: Optional[int] = None, max_tasks: int = 1000,
                     **params: Any) -> None:
            self.chunk, self.max_tasks = chunk, max_tasks
            super().__init__(**params)  # type: ignore[call-arg]

        def __reduce__(self) -> tuple:
            # Pickled for each array task: unpickled through sim.cli, which puts this
            # plugin's directory on sys.path in the job's fresh process.
            from sim.cli import restore_launcher  # noqa: PLC0415

            return restore_launcher, (type(self).__name__, dict(self.__dict__))

        def run_job(self, *job: Any) -> Any:
            """One job of a chunk, as the base class runs one job per task."""
            return _base.BaseSubmititLauncher.__call__(self, *job)  # type: ignore[arg-type]

        def launch(self, job_overrides: Sequence[Sequence[str]],
                   initial_job_idx: int) -> Sequence[Any]:
            size = chunk_size(len(job_overrides), self.chunk, self.max_tasks)
            if size == 1:
                return super().launch(job_overrides, initial_job_idx)  # type: ignore[misc]
            import submitit  # noqa: PLC0415 - only when a sweep launches
            from omegaconf import OmegaConf  # noqa: PLC0415

            # The executor and each job's arguments exactly as the base class's launch()
            # builds them (hydra-submitit-launcher 1.2); then one task per chunk of jobs.
            config, params = self.config, dict(self.params)  # type: ignore[attr-defined]
            prefix = self._EXECUTOR
            init = {"folder": params.pop("submitit_folder")}
            if "max_num_timeout" in params:
                init[f"{prefix}_max_num_timeout"] = params.pop("max_num_timeout")
            executor = submitit.AutoExecutor(cluster=prefix, **init)
            shared = set(OmegaConf.structured(_conf.BaseQueueConf).keys())
            executor.update_parameters(**{k if k in shared else f"{prefix}_{k}": v
                                          for k, v in params.items()})
            sweep_dir = Path(str(config.hydra.sweep.dir))
            sweep_dir.mkdir(parents=True, exist_ok=True)
            if "mode" in config.hydra.sweep:
                os.chmod(sweep_dir, mode=int(str(config.hydra.sweep.mode), 8))
            state = Singleton.get_state()
            jobs = [(list(overrides), "hydra.sweep.dir", initial_job_idx + i,
                     f"job_id_for_{initial_job_idx + i}", state)
                    for i, overrides in enumerate(job_overrides)]
            chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
            log.info(f"Submitit '{prefix}' sweep output dir : {sweep_dir}: {len(jobs)} jobs "
                     f"in {len(chunks)} array tasks of up to {size}")
            from sim.cli import run_chunk  # noqa: PLC0415 - see __reduce__

            submitted = executor.map_array(functools.partial(run_chunk, self), chunks)
            return [r for job in submitted for r in job.results()[0]]

    class ChunkedSlurmLauncher(_Chunked, _base.SlurmLauncher):
        """``hydra/launcher=slurm``: a SLURM job array, ``chunk`` jobs per task."""

    class ChunkedLocalLauncher(_Chunked, _base.LocalLauncher):
        """``hydra/launcher=local``: submitit on this machine, ``chunk`` jobs per task."""

    @dataclass
    class ChunkedSlurmConf(_conf.SlurmQueueConf):
        _target_: str = "hydra_plugins.carequeue_launcher.chunked.ChunkedSlurmLauncher"
        chunk: Optional[int] = None   # jobs per array task (null: from max_tasks)
        max_tasks: int = 1000         # with chunk null: the most tasks an array gets

    @dataclass
    class ChunkedLocalConf(_conf.LocalQueueConf):
        _target_: str = "hydra_plugins.carequeue_launcher.chunked.ChunkedLocalLauncher"
        chunk: Optional[int] = None
        max_tasks: int = 1000

    _store = ConfigStore.instance()
    _store.store(group="hydra/launcher", name="carequeue_slurm", node=ChunkedSlurmConf,
                 provider="carequeue")
    _store.store(group="hydra/launcher", name="carequeue_local", node=ChunkedLocalConf,
                 provider="carequeue")
