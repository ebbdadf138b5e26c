"""Write a comparison: ``comparison.csv``, ``paired.csv``, ``figures/``, ``comparison.html``."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .dataset import write_dataset
from .figures import comparison_figures
from .html import comparison_page
from .jobs import Job
from .answer import sensitivity_rows
from .paired import paired_differences
from .table import comparison_table
from .treatment import Treatment, choose_treatment


@dataclass
class Comparison:
    """What :func:`compare` wrote: the HTML page and the tables behind it."""

    html: Path
    table: pd.DataFrame
    paired: pd.DataFrame


def compare(jobs: Sequence[Job], out_dir: Path | str, *, baseline: str | None = None,
            title: str = "CareQueue comparison", sources: Sequence[Path] = (),
            treat: str | Sequence[str] | Treatment | None = None,
            margins: Mapping[str, Any] | None = None,
            objective: str | None = None) -> Comparison:
    """Write ``comparison.csv``, ``paired.csv``, ``figures/``, ``comparison.html`` and the
    ``per_replication/`` dataset of every job (:mod:`.dataset`).

    Like :func:`write_comparison`, but returns the tables too (for the terminal summary);
    ``margins`` replace default margins of the verdicts (:mod:`.margins`), ``objective``
    is the metric the page's answer ranks policies by (:mod:`.answer`).
    """
    from ..figures import save as save_figures  # noqa: PLC0415 - matplotlib only here

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    treatment = choose_treatment(jobs, treat)
    table = comparison_table(jobs)
    paired = paired_differences(jobs, baseline, treat=treatment, margins=margins)
    table.to_csv(out / "comparison.csv", index=False)
    paired.to_csv(out / "paired.csv", index=False)
    try:
        write_dataset(jobs, out)
    except OSError as err:  # a folder of someone else's in the way: compare all the same
        print(f"compare: per_replication/ dataset not written: {err}", file=sys.stderr)
    drawn = comparison_figures(jobs)
    spread = sensitivity_rows(paired, objective)
    if spread is not None:
        from .plots import sensitivity  # noqa: PLC0415 - matplotlib only here

        drawn = {"sensitivity": sensitivity(spread, spread["metric"].iloc[0]), **drawn}
    saved = save_figures(drawn, out / "figures")
    page = comparison_page(jobs, table, paired, saved, title,
                           sources or sorted({j.path.parent for j in jobs}, key=str), treatment,
                           objective)
    path = out / "comparison.html"
    tmp = out / ".comparison.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)  # the page appears whole or not at all
    return Comparison(path, table, paired)


def write_comparison(jobs: Sequence[Job], out_dir: Path | str, *,
                     baseline: str | None = None,
                     treat: str | Sequence[str] | None = None) -> Path:
    """Compare jobs and write the results into ``out_dir``.

    Parameters
    ----------
    jobs : sequence of Job
        From :func:`load_jobs`.
    out_dir : path
        Output directory (created): ``comparison.csv`` (:func:`comparison_table`),
        ``paired.csv`` (:func:`paired_differences`), ``figures/*.png``
        (:func:`comparison_figures`) and ``comparison.html`` (one self-contained page:
        the jobs with status and error, a section per paired comparison, the results per
        job, every figure as a base64 PNG).
    baseline : str, optional
        ``KEY=VALUE`` selecting the baseline of the paired comparisons (a Hydra prefix on
        KEY, as in ``++staffing.agents.twitter=4``, is ignored).
    treat : str or sequence of str, optional
        The treatment keys of the paired comparisons (default: the policy keys if any
        varies, else every varying key but the seed; see :func:`choose_treatment`).

    Returns
    -------
    pathlib.Path
        The HTML page.
    """
    return compare(jobs, out_dir, baseline=baseline, treat=treat).html
