"""Reports of a simulation study: the results directory, one self-contained HTML page, a
terminal table.

These are pure functions of the result tables and of figures already drawn
(:mod:`sim.figures`). The HTML
report embeds every figure as a base64 data URI and uses inline CSS only, so the single
file can be mailed, archived or opened offline and still show everything. Shares (service
level, rates, occupancy) are shown in percent, times in minutes.
"""

from __future__ import annotations

import base64
import html
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .kpis import COLUMNS as KPI_COLUMNS, SERVICE_GOAL, headline
from .outputs import ALL, FIGURE_TABLES, TABLES, describe, drawable
from .painter import Painter

__all__ = ["format_summary", "write_html_report", "write_results"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_METRICS = ("arrivals", "service_level", "asa_min", "frt_p90_min", "abandon_rate",
                   "occupancy", "dissatisfaction_rate")
# Preferred column order in the HTML pivot; metrics not listed follow in table order.
_METRIC_ORDER = ("arrivals", "answered", "abandoned", "service_level", "frac_delayed",
                 "mean_wait_min", "asa_min", "frt_p50_min", "frt_p90_min", "abandon_rate",
                 "occupancy", "dissatisfaction_rate", "forced_switch_rate",
                 "dissatisfaction_index", "pileons_per_complaint", "public_exposure")
_SHARES = frozenset({"service_level", "abandon_rate", "occupancy", "dissatisfaction_rate",
                     "frac_delayed", "forced_switch_rate"})
_SUMMARY_COLUMNS = ("channel", "metric", "mean", "ci_low", "ci_high")
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1150px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}td.good{background:#d6e8f7}td.bad{background:#fbdcc4}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:right}
th{background:#f3f4f6}td:first-child,th:first-child{text-align:left}
td{font-variant-numeric:tabular-nums}tbody tr:nth-child(even){background:#fafafa}
tr.all td{font-weight:600;border-top:2px solid #999}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}
pre{background:#f6f8fa;border:1px solid #ddd;padding:.8rem;overflow:auto;font-size:.85rem}
.caption{color:#555;font-size:.85rem}.wide{overflow-x:auto}details summary{cursor:pointer;margin:.5rem 0}
"""


def _is_share(metric: str) -> bool:
    return metric in _SHARES or metric.endswith(("_rate", "_share")) or metric.startswith("frac_")


def _decimals(x: float) -> int:
    """Decimals that give about three significant figures (none at all from 100 upward)."""
    a = abs(x)
    if a == 0 or a >= 100:
        return 0
    return min(8, max(0, 2 - math.floor(math.log10(a))))


def _num(x: float, decimals: int) -> str:
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.{decimals}f}"


def _cell(metric: str, mean: float, lo: float, hi: float, style: str) -> str:
    """Format one estimate as ``"mean ±hw"`` (style "pm", when the interval is centred on
    the mean) or ``"mean [lo, hi]"`` (style "ci", or an interval that is not)."""
    mean, lo, hi = (float("nan") if v is None or pd.isna(v) else float(v) for v in (mean, lo, hi))
    if math.isnan(mean):
        return "–"
    share = _is_share(metric)
    if share:
        mean, lo, hi, d = mean * 100, lo * 100, hi * 100, 1
    else:
        # The interval reuses the mean's decimals so both read at the same precision.
        ref = mean if mean != 0 and math.isfinite(mean) else (hi - lo) / 2
        d = _decimals(ref) if math.isfinite(ref) else 0
    head = _num(mean, d) + ("%" if share else "")
    if math.isnan(lo) or math.isnan(hi):
        return head
    # "±" only for an interval centred on the mean: one cut at a bound (a share near 100%)
    # or skewed (a mean wait) shows its ends.
    if style == "pm" and math.isclose(hi - mean, mean - lo, rel_tol=0.01, abs_tol=1e-12):
        return f"{head} ±{_num((hi - lo) / 2, d)}"
    return f"{head} [{_num(lo, d)}, {_num(hi, d)}]"


def _checked(summary: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"summary table lacks column(s) {missing}")
    return summary.assign(channel=summary["channel"].astype(str), metric=summary["metric"].astype(str))


def _channels(summary: pd.DataFrame) -> list[str]:
    """Channels sorted by name, with the aggregate ``"all"`` row last."""
    names = set(summary["channel"])
    return sorted(names - {"all"}) + ["all"] * ("all" in names)


def _grid(summary: pd.DataFrame, metrics: Sequence[str], style: str) -> tuple[list[str], list[list[str]]]:
    """Channel rows x metric columns of formatted cells ("–" where a pair is missing)."""
    table = summary.drop_duplicates(["channel", "metric"], keep="last").set_index(["channel", "metric"])
    channels, rows = _channels(summary), []
    for ch in channels:
        row = []
        for m in metrics:
            r = table.loc[(ch, m)] if (ch, m) in table.index else None
            row.append("–" if r is None else _cell(m, r["mean"], r["ci_low"], r["ci_high"], style))
        rows.append(row)
    return channels, rows


def format_summary(summary: pd.DataFrame, metrics: Sequence[str] = DEFAULT_METRICS) -> str:
    """A compact fixed-width table of the summary for a terminal.

    Parameters
    ----------
    summary : pandas.DataFrame
        Long summary table ``channel, metric, mean, ci_low, ci_high[, n]``.
    metrics : Sequence[str]
        Metrics to show, in order; those absent from ``summary`` are skipped.

    Returns
    -------
    str
        One header line, a rule, then one line per channel (``"all"`` last); every cell is
        ``"mean ±half-width"``: shares in percent with one decimal (``"81.3% ±1.2"``, the
        half-width in percentage points), other values (times in minutes, counts) to about
        three significant figures; missing values are ``"–"``. All lines have equal width.
    """
    summary = _checked(summary)
    present = [m for m in metrics if m in set(summary["metric"])]
    if not present:
        return "(no summary metrics to show)"
    channels, cells = _grid(summary, present, "pm")
    header = ["channel", *present]
    body = [[ch, *row] for ch, row in zip(channels, cells)]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, body)])


def _raw(x: object) -> str:
    """A raw table value to six significant figures, for the long table."""
    return "–" if x is None or pd.isna(x) else f"{float(x):.6g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], row_classes: Sequence[str] | None = None,
           cell_classes: Sequence[Sequence[str]] | None = None) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for n, (row, cls) in enumerate(zip(rows, row_classes or [""] * len(rows))):
        attr = f' class="{esc(cls)}"' if cls else ""
        marks = cell_classes[n] if cell_classes else [""] * len(row)
        body.append(f"<tr{attr}>" + "".join(
            f'<td class="{esc(m)}">{esc(c)}</td>' if m else f"<td>{esc(c)}</td>"
            for c, m in zip(row, marks)) + "</tr>")
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


#: What each of a run's figures shows and what to look at in it (sim/figures.py's stems).
FIGURE_CAPTIONS = {
    "first_response_cdf": ("How fast each channel answers",
                           "Share of each channel's arrivals answered within a time (log "
                           "scale), dotted lines at the channels' targets. Read where a curve "
                           "crosses its target: that is the service level. A curve that "
                           "levels off below 100% shows the contacts that abandoned or were "
                           "never answered."),
    "interval_profile": ("When the queues build",
                         "Arrivals, contacts waiting and agents staffed per interval, over "
                         "the week. Look for waiting that builds where arrivals outrun the "
                         "staffed agents, and for agents staffed where nothing arrives."),
    "service_level": ("Which channels meet their target",
                      "Share answered within target per channel, with 95% intervals. Bars "
                      "below the 80% goal are the channels to staff or route differently."),
    "dissatisfaction": ("Why customers are dissatisfied",
                        "Dissatisfied contacts per channel by cause: answered later than "
                        "they expected, abandoned, or told to switch channel. The biggest "
                        "block is the first thing to fix."),
}


def _img(name: str, path: Path,
         captions: Mapping[str, tuple[str, str]] = FIGURE_CAPTIONS) -> str:
    data = Path(path).read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError(f"figure {name!r} at {path} is not a PNG file")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    title, caption = captions.get(Path(name).stem, (name, ""))
    return (f"<h3>{html.escape(title)}</h3>"
            f'<figure><img src="{uri}" alt="{html.escape(title)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def policies(config_yaml: str) -> list[list[str]]:
    """``[part, policy, settings]`` for routing, staffing and escalation, read from the run's
    composed config (the class a ``_target_`` names, and its scalar settings)."""
    import yaml  # noqa: PLC0415 - PyYAML, a Hydra dependency

    try:
        config = yaml.safe_load(config_yaml) or {}
    except yaml.YAMLError:
        return []
    rows = []
    for part in ("routing", "staffing", "escalation"):
        node = config.get(part) if isinstance(config, dict) else None
        if not isinstance(node, dict):
            continue
        name = str(node.get("_target_", "?")).rsplit(".", 1)[-1]
        inner = [str(v.get("_target_")).rsplit(".", 1)[-1] for v in node.values()
                 if isinstance(v, dict) and "_target_" in v]
        settings = [f"{k}={v}" for k, v in node.items()
                    if k != "_target_" and not isinstance(v, (dict, list))]
        rows.append([part, " + ".join([name, *inner]), ", ".join(settings) or "–"])
    return rows


def write_html_report(path: Path, *, title: str, summary: pd.DataFrame, figures: Mapping[str, Path],
                      config_yaml: str, notes: Mapping[str, str] | None = None,
                      targets: Mapping[str, float] | None = None) -> Path:
    """Write a single self-contained HTML report.

    Parameters
    ----------
    path : pathlib.Path
        Output file (parent directories are created).
    title : str
        Page title and heading.
    summary : pandas.DataFrame
        Long summary table ``channel, metric, mean, ci_low, ci_high[, n]``.
    figures : Mapping[str, pathlib.Path]
        PNG files by caption, embedded as base64 data URIs in the order given.
    config_yaml : str
        The configuration used, shown verbatim (escaped) in a ``<pre>`` block.
    notes : Mapping[str, str], optional
        Run facts (seed, replications, horizon, wall time...) shown as a key/value table.
    targets : Mapping[str, float], optional
        Channel -> response-time target (minutes), for the headline's marks.

    Returns
    -------
    pathlib.Path
        ``path``. The page has no scripts and no external resources; all text is escaped.

    Raises
    ------
    ValueError
        If ``summary`` lacks a required column or a figure file is not a PNG.
    """
    summary, esc = _checked(summary), html.escape
    known = set(summary["metric"])
    metrics = [m for m in _METRIC_ORDER if m in known]
    metrics += [m for m in dict.fromkeys(summary["metric"]) if m not in metrics]
    channels, cells = _grid(summary, metrics, "ci")
    long_rows = [[r["channel"], r["metric"], *(_raw(r.get(k)) for k in ("mean", "ci_low", "ci_high", "n"))]
                 for _, r in summary.iterrows()]
    parts = [f"<h1>{esc(title)}</h1>"]
    ran = policies(config_yaml)
    if ran:
        parts += ["<h2>Policies</h2>", _table(["part", "policy", "settings"], ran)]
    kpi = headline(summary, targets or {})
    parts += ["<h2>Headline by channel</h2>",
              '<p class="caption">Means over replications. Blue: meets the target, orange: '
              f"misses it: answered within target against the {SERVICE_GOAL:.0%} goal, and "
              "90% answered within the target itself. Times in seconds, minutes or hours as "
              "suits the channel; journeys resolved: of the problems that started in the "
              "channel, the share solved anywhere. Intervals: the full table below.</p>",
              _table(list(KPI_COLUMNS), [[k.text for k in r] for r in kpi],
                     ["all" if r[0].text == "all" else "" for r in kpi],
                     [[k.mark for k in r] for r in kpi])]
    if figures:
        parts += ["<h2>Figures</h2>", *(_img(name, p) for name, p in figures.items())]
    parts += ["<h2>Every metric</h2>",
              '<p class="caption">Mean over replications with its 95% confidence interval, '
              "as mean [low, high], inside each metric's bounds. Shares in %, times in "
              "minutes; – = not available.</p>"]
    parts.append("<details><summary>By channel (wide)</summary>"
                 + (_table(["channel", *metrics], [[c, *r] for c, r in zip(channels, cells)],
                           ["all" if c == "all" else "" for c in channels]) if metrics
                    else "<p>No summary rows.</p>") + "</details>")
    parts.append("<details><summary>Full summary table (long format)</summary>"
                 + _table(["channel", "metric", "mean", "ci_low", "ci_high", "n"], long_rows) + "</details>")
    if notes:
        parts += ["<h2>Run</h2>", _table(["item", "value"], [[str(k), str(v)] for k, v in notes.items()])]
    parts += ["<details><summary>Configuration (the composed config of this run)</summary>"
              f"<pre>{esc(config_yaml)}</pre></details>"]
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


@contextmanager
def staging(outdir: Path) -> Iterator[Path]:
    """A hidden staging folder in ``outdir`` for a run to stream its tables into.

    :func:`write_results` given it finishes the directory from there; if the run fails
    first, the folder is removed and ``outdir`` holds nothing that looks complete.
    Staging folders a killed run left behind are removed first.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    for stale in outdir.glob(".writing-*"):
        shutil.rmtree(stale, ignore_errors=True)
    stage = Path(tempfile.mkdtemp(prefix=".writing-", dir=outdir))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_in(source: Path, target: Path) -> None:
    """Move a written file into the results directory; a folder (``figures/``) file by file
    into the folder there, so that a re-used directory keeps every file CareQueue did not
    write (a user's notes in ``figures/``) and only CareQueue's own are replaced."""
    if source.is_dir() and target.is_dir():
        for item in sorted(source.iterdir()):
            _move_in(item, target / item.name)
        return
    if target.is_dir():
        raise FileExistsError(f"{target} is a folder where CareQueue writes a file: not replaced")
    os.replace(source, target)


def write_results(outdir: Path, results: Any, config_yaml: str, *, seed: int | None = None,
                  wall_s: float | None = None, job: Mapping[str, Any] | None = None,
                  figures: bool = True, staged: Path | None = None,
                  painter: Painter | None = None, tables: frozenset[str] = ALL) -> Path:
    """Write a study's results directory: tables, figures and the HTML report.

    Everything is written into a hidden staging folder first and moved into ``outdir`` at the
    end, ``summary.csv`` last: a run that dies while writing never leaves a directory that
    looks complete (tools and re-runs treat ``summary.csv`` as the mark of a finished run).

    Parameters
    ----------
    outdir : pathlib.Path
        Results directory (created).
    results : object
        Anything with DataFrame attributes ``contacts``, ``intervals`` and ``summary``
        (e.g. ``sim.replications.Results``); its other DataFrame attributes are saved too.
    config_yaml : str
        The resolved configuration, embedded in the report.
    seed : int, optional
        The study's seed, listed in the report.
    wall_s : float, optional
        Wall-clock time of the run in seconds, listed in the report.
    staged : pathlib.Path, optional
        A :func:`staging` folder the run already streamed tables into (``contacts.parquet``,
        ``segments.parquet``): those are kept, not rewritten from ``results``.
    job : mapping, optional
        More fields for ``job.json`` (``python -m sim`` gives the config ``fingerprint`` that
        marks the job complete, see ``sim/jobs.py``, and its ``overrides``).
    figures : bool
        Draw the figures (``figures/`` and in the report). Off (``run.figures=false``), the
        report has the tables only: drawing is most of the writing time, which matters in
        sweeps of many short jobs (the comparison reads the tables, not these figures).
    painter : sim.painter.Painter, optional
        Draws the figures in its helper processes, from the tables written, while the
        tables they do not read are written; without it they are drawn in this process,
        from ``results``.
    tables : set of str
        The tables to write (``run.tables``, :mod:`sim.outputs`): others, even in memory
        or staged, are not. Figures are drawn only when every table they read
        (:data:`FIGURE_TABLES`) is written, so that a summary-only job stays small.

    Returns
    -------
    pathlib.Path
        The HTML report, ``outdir / "report.html"``. Every DataFrame attribute is written as
        ``<name>.parquet``, the summary also as ``summary.csv``, figures under ``figures/``,
        and ``job.json``: ``status`` ("complete"), ``seed``, ``wall_s``, ``contacts``,
        ``replications``, ``write_s`` (seconds spent writing, up to ``job.json``),
        ``finished`` (UTC, ISO 8601), then the ``job`` fields. Staging folders that a killed
        writer left in ``outdir`` are removed first.
    """
    import json  # noqa: PLC0415
    import time  # noqa: PLC0415
    from datetime import datetime, timezone  # noqa: PLC0415

    started = time.perf_counter()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if staged is None:
        for stale in outdir.glob(".writing-*"):
            shutil.rmtree(stale, ignore_errors=True)
    stage = staged or Path(tempfile.mkdtemp(prefix=".writing-", dir=outdir))
    try:
        keep = tables
        if not figures:
            figures_note = "not drawn (run.figures=false)"
        elif not drawable(keep):
            figures_note = (f"not drawn (run.tables={describe(keep)}: figures need the "
                            "contacts and intervals tables)")
            figures = False
        else:
            figures_note = ""
        tables = {name: table for name, table in vars(results).items()
                  if isinstance(table, pd.DataFrame) and name in keep
                  and not (stage / f"{name}.parquet").exists()}
        for name in [n for n in tables if n in FIGURE_TABLES]:
            tables.pop(name).to_parquet(stage / f"{name}.parquet", index=False)
        if figures and painter is not None:
            painter.start(stage)  # the figures not yet asked for, drawn while the other tables are written
        for name, table in tables.items():
            table.to_parquet(stage / f"{name}.parquet", index=False)
        contacts = results.contacts
        if not figures:
            saved = {}
        elif painter is not None:
            saved = painter.finish()
        else:
            from . import figures as drawing  # noqa: PLC0415 - matplotlib only to draw here

            saved = drawing.save(drawing.figures(results.contacts, results.intervals,
                                                 results.summary), stage / "figures")
        notes = {"seed": "" if seed is None else str(seed),
                 "replications": str(contacts["replication"].nunique()) if len(contacts) else "0",
                 "contacts": f"{len(contacts):,}",
                 "wall time": "" if wall_s is None else f"{wall_s:.1f} s",
                 "precision": results.precision,
                 "figures": figures_note}
        targets = ({str(c): float(t) for c, t in contacts.groupby(
                        "channel", observed=True)["target_min"].first().items()}
                   if "target_min" in contacts and len(contacts) else {})
        write_html_report(stage / "report.html", title="CareQueue simulation results",
                          summary=results.summary, figures=saved, config_yaml=config_yaml,
                          notes={k: v for k, v in notes.items() if v}, targets=targets)
        record = {"status": "complete", "seed": seed, "wall_s": wall_s,
                  "contacts": int(len(contacts)),
                  "replications": int(contacts["replication"].nunique()) if len(contacts) else 0,
                  "write_s": round(time.perf_counter() - started, 4),
                  "tables": [t for t in TABLES if t in keep],
                  **({"precision": results.precision} if results.precision else {}),
                  "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  **dict(job or {})}
        (stage / "job.json").write_text(json.dumps(record, indent=1, default=str) + "\n",
                                        encoding="utf-8")
        results.summary.to_csv(stage / "summary.csv", index=False)
        for name in TABLES:  # streamed into the stage but not asked for: not written
            if name not in keep:
                (stage / f"{name}.parquet").unlink(missing_ok=True)
        names = sorted(p.name for p in stage.iterdir())
        for name in sorted(names, key=lambda n: n == "summary.csv"):
            _move_in(stage / name, outdir / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return outdir / "report.html"
