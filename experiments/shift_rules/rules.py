"""What the shift rules cost: the default study rostered under four rule sets.

Runs ``python -m sim.roster`` (the default study's Erlang C requirement, 80% within target
checked in every 4-hour block of the week by simulation) under

- ``8h``: 8-hour shifts only (``roster=standard``), two days off together;
- ``8h, split``: the same, days off anywhere in the week;
- ``4-6-8h``: 8-hour shifts beside 6- and 4-hour part-time shifts (``roster=flexible``),
  two days off together;
- ``4-6-8h, split``: the same, days off anywhere;

each into ``results/experiments/shift_rules/<variant>/`` (skipped when ``achieved.csv`` is
already there), then prints the table of the README (paid hours against the requirement,
agents, simulated service level with its 95% CI, blocks still below the goal) and draws
``figures/paid_hours.png``.

Usage: ``python experiments/shift_rules/rules.py [--results DIR]`` (about 15 min on two
cores: each roster solves six pools for up to 10 s each, round by round).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.roster.output import markdown

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VARIANTS = {
    "8h": ["roster=standard"],
    "8h, split": ["roster=standard", "roster.consecutive_days_off=false"],
    "4-6-8h": ["roster=flexible"],
    "4-6-8h, split": ["roster=flexible", "roster.consecutive_days_off=false"],
}


def run(results: Path) -> dict[str, Path]:
    """Each variant's roster directory, run if not complete."""
    out = {}
    for name, overrides in VARIANTS.items():
        directory = results / name.replace(", ", "_").replace("-", "_")
        if not (directory / "achieved.csv").exists():
            print(f"rostering {name} ...", flush=True)
            subprocess.run([sys.executable, "-m", "sim.roster", *overrides, "seed=1",
                            f"hydra.run.dir={directory}"], check=True, cwd=ROOT)
        out[name] = directory
    return out


def table(directories: dict[str, Path]) -> pd.DataFrame:
    """One row per rule set: hours, agents, simulated service level, blocks below goal."""
    rows = []
    for name, d in directories.items():
        cost = pd.read_csv(d / "cost.csv")
        rounds = pd.read_csv(d / "rounds.csv")
        achieved = pd.read_csv(d / "achieved.csv")
        sl = achieved[(achieved["block"] == "all") & (achieved["channel"] == "all")
                      & (achieved["metric"] == "service_level")].iloc[0]
        required = cost["required_hours"].sum()
        rows.append({"rules": name, "required h": required,
                     "paid h": cost["paid_hours"].sum(),
                     "paid / required": cost["paid_hours"].sum() / required,
                     "agents": int(cost["agents"].sum()),
                     "largest gap": cost["gap"].max(),
                     "rounds added": len(rounds) - 1,
                     "blocks below goal": int(rounds["misses"].iloc[-1]),
                     "service level": f"{100 * sl['mean']:.1f}% [{100 * sl['ci_low']:.1f}, "
                                      f"{100 * sl['ci_high']:.1f}]"})
    return pd.DataFrame(rows)


def figure(directories: dict[str, Path]) -> Figure:
    """Paid hours per rule set, stacked by pool, against the requirement."""
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    names = list(directories)
    bottom = [0.0] * len(names)
    costs = {n: pd.read_csv(d / "cost.csv").set_index("pool") for n, d in directories.items()}
    for pool in costs[names[0]].index:
        values = [costs[n].loc[pool, "paid_hours"] for n in names]
        ax.bar(names, values, bottom=bottom, label=pool)
        bottom = [b + v for b, v in zip(bottom, values)]
    required = costs[names[0]]["required_hours"].sum()
    ax.axhline(required, color="black", ls="--", lw=1.2,
               label=f"required on the floor ({required:,.0f} h)")
    for i, total in enumerate(bottom):
        ax.text(i, total, f"{total:,.0f} h\n(+{total / required - 1:.0%})", ha="center",
                va="bottom", fontsize=9)
    ax.set_ylabel("paid agent-hours a week")
    ax.set_ylim(0, max(bottom) * 1.15)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="pool")
    ax.set_title("What the shift rules cost: paid hours to cover the same requirement")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path,
                        default=ROOT / "results" / "experiments" / "shift_rules")
    args = parser.parse_args()
    directories = run(args.results)
    print(markdown(table(directories)))
    (HERE / "figures").mkdir(exist_ok=True)
    figure(directories).savefig(HERE / "figures" / "paid_hours.png", dpi=100)


if __name__ == "__main__":
    main()
