"""``python -m sim``: run a study from config and write its results directory."""

from __future__ import annotations

import sys
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from ..errors import ConfigError
from ..painter import Painter, cores
from ..outputs import drawable, figures_from
from ..replications import Setup, expected_arrivals, run_replications
from . import jobs
from .config import CONF_DIR, build_setup, output_tables, register

register()


def tune_process() -> None:
    """Let freed memory go back to the system as a long run goes on (Linux).

    A run frees large arrays (the customers, once simulated; each chunk of records, once
    merged) while it builds others. glibc serves arrays under its *dynamic* mmap threshold
    from the heap, which it rarely gives back, and Arrow's default allocator keeps what it
    freed for reuse: peak resident memory then counts both. Fixing glibc's threshold at
    128 KiB (large arrays mapped, unmapped when freed) and Arrow on the system allocator
    lowers the peak of a 3-million-contact run from about 1.1 GiB to about 0.9 GiB
    (benchmarks/README.md). Nothing changes in any result.
    """
    import pyarrow  # noqa: PLC0415 - loaded by pandas already

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    try:
        import ctypes  # noqa: PLC0415

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD (glibc's malloc.h)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


#: Runs expected to bring more contacts draw their figures in their own process: drawing is
#: then a small part of the run's time, and a helper's copy of the contacts it draws (about
#: 140 MiB and 130 bytes a contact at its peak: 540 MiB at 3 million) would add to the run's
#: memory.
HELPERS_UP_TO = 500_000


def _painter(setup: Setup, figures: bool, sweep: bool) -> Painter | nullcontext[None]:
    """Figure helpers for a single run with figures on, of up to :data:`HELPERS_UP_TO`
    expected contacts, on a machine with cores to spare (two: the figures then draw in two
    halves at once). A sweep's jobs draw in their own process, where matplotlib is imported
    once for all the jobs a worker runs."""
    spare = cores()
    if (not figures or sweep or spare < 2
            or expected_arrivals(setup) > HELPERS_UP_TO):
        return nullcontext()
    return Painter(min(2, spare))


def compose_once(args: list[str]) -> None:
    """Skip Hydra's first composition of the whole config, which only reads ``hydra.mode``.

    Before composing the config for the run, Hydra composes it once more to learn
    ``hydra.mode`` (``Hydra.get_mode``), about 0.07 s of every process (benchmarks/
    README.md). CareQueue's configs never set it (tests/test_cli.py checks), so unless the
    command line sets it or adds a search path (another config directory might), the mode
    is the ``-m`` flag's, as Hydra decides when ``get_mode`` finds none.
    """
    if any(key in a for a in args for key in ("hydra.mode", "hydra.searchpath")):
        return
    from hydra._internal.hydra import Hydra  # noqa: PLC0415 - private: the speed reason above

    Hydra.get_mode = lambda self, config_name, overrides: None  # type: ignore[method-assign]


def _note(text: str) -> None:
    """A line for the user while the run goes on (precision mode's batches), above the
    progress bar rather than through it."""
    from tqdm import tqdm  # noqa: PLC0415 - loaded with the progress bar already

    tqdm.write(text, file=sys.stderr)


# Absolute, so that `python -m sim` and the `carequeue` console script find the same conf/.
@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Validate, simulate, write results; skip a job already complete (sim/jobs.py).

    A config error exits 2 with one message; in a sweep (``-m``) a failed job writes
    ``error.txt`` and raises :class:`sim.cli.jobs.JobFailed` instead, so the other jobs still run
    and the sweep then ends with exit status 1.
    """
    hydra_cfg = HydraConfig.get()
    outdir = Path(hydra_cfg.runtime.output_dir)
    sweep = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        fingerprint = jobs.fingerprint(OmegaConf.to_container(cfg, resolve=True))
        if jobs.begin(outdir, fingerprint):
            # One write, flushed: parallel workers share the sweep's stdout, and print()'s
            # separate text and newline writes interleave with theirs.
            sys.stdout.write(f"already complete, skipped: {outdir}\n")
            sys.stdout.flush()
            return
        setup = build_setup(cfg)  # bad input stops the run here, before anything starts
        tables = output_tables(cfg)
        figures = cfg.run.figures and drawable(tables)
        with _painter(setup, figures, sweep) as painter:
            from .. import report  # noqa: PLC0415 - after the figure helpers have started
            from ..progress import progress_bar  # noqa: PLC0415

            tune_process()
            started = time.perf_counter()
            with report.staging(outdir) as stage:
                # Contacts and segments stream into the staging folder as the run goes.
                # The figures of the tables written early are drawn while the run computes
                # the rest (the contacts' while it measures, the intervals' after).
                done: set[str] = set()

                def early(table: str) -> None:
                    done.add(table)
                    painter.start(stage, figures_from(done))

                with progress_bar(setup, enabled=cfg.run.progress) as progress:
                    results = run_replications(setup, progress, directory=stage,
                                               keep_journeys=painter is not None,
                                               note=_note, tables=tables,
                                               written=(early if painter is not None
                                                        and figures else None))
                wall = time.perf_counter() - started
                report.write_results(
                    outdir, results, OmegaConf.to_yaml(cfg), seed=cfg.seed, wall_s=wall,
                    job={"fingerprint": fingerprint, "overrides": list(hydra_cfg.overrides.task)},
                    figures=cfg.run.figures, staged=stage, painter=painter, tables=tables)
    except ConfigError as err:
        message = f"config error: {err}"
        jobs.record_failure(outdir, message)
        print(message, file=sys.stderr)
        if sweep:
            raise jobs.JobFailed(message) from None
        sys.exit(2)
    except Exception as err:  # noqa: BLE001 - recorded, then reported as before
        jobs.record_failure(outdir, f"{type(err).__name__}: {err}", traceback.format_exc())
        if not sweep:
            raise
        traceback.print_exc()
        raise jobs.JobFailed(f"{type(err).__name__}: {err} (traceback in "
                             f"{outdir / jobs.ERROR})") from None
    print(report.format_summary(results.summary))
    reps = int(results.per_replication["replication"].nunique())
    print(f"\n{len(results.contacts):,} contacts, {reps} replication{'s' * (reps != 1)} in "
          f"{wall:.1f} s -> {outdir}", flush=True)


if __name__ == "__main__":
    main()
