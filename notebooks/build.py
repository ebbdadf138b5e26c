"""Build the teaching-lab notebooks from one source: the cells below, in order.

    python notebooks/build.py           # write lab.ipynb and lab_solutions.ipynb
    python notebooks/build.py --check   # exit 1 if the committed notebooks are stale

Every cell is written once and tagged with its audience: both notebooks, the student's
only (``lab.ipynb``: "Your turn" starter cells) or the teacher's only
(``lab_solutions.ipynb``: the answers). The notebooks are written without outputs and with
cell ids derived from their position, so the same source always gives the same bytes and
``--check`` can compare them with what is committed. To change the lab, edit the cells
here, run the script and commit all three files.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nbformat

HERE = Path(__file__).resolve().parent
Audience = Literal["both", "student", "teacher"]
#: The two notebooks and which cells each holds.
NOTEBOOKS: dict[str, tuple[Audience, ...]] = {
    "lab.ipynb": ("both", "student"),
    "lab_solutions.ipynb": ("both", "teacher"),
}
#: The only notebook metadata written: a standard Python 3 kernel, nothing machine-specific.
METADATA = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}


@dataclass(frozen=True)
class Cell:
    """One notebook cell: its kind, its text and which notebook(s) it goes into."""

    kind: Literal["markdown", "code"]
    source: str
    audience: Audience = "both"


CELLS: list[Cell] = []


def _add(kind: Literal["markdown", "code"], text: str, audience: Audience) -> None:
    CELLS.append(Cell(kind, textwrap.dedent(text).strip("\n"), audience))


def md(text: str) -> None:
    """A markdown cell in both notebooks."""
    _add("markdown", text, "both")


def code(text: str) -> None:
    """A code cell in both notebooks."""
    _add("code", text, "both")


def student(text: str) -> None:
    """A "Your turn" code cell, in the student's notebook only: runnable as it is."""
    _add("code", text, "student")


def student_md(text: str) -> None:
    """A markdown cell in the student's notebook only."""
    _add("markdown", text, "student")


def answer(text: str) -> None:
    """A markdown answer, in the teacher's notebook only."""
    _add("markdown", "**Answer.** " + textwrap.dedent(text).strip("\n"), "teacher")


def solution(text: str) -> None:
    """A code answer, in the teacher's notebook only."""
    _add("code", text, "teacher")


def teacher_md(text: str) -> None:
    """A markdown cell in the teacher's notebook only."""
    _add("markdown", text, "teacher")


# =========================================================================================
# The lab. Keep every simulation short: both notebooks must run top to bottom in well under
# a minute on two cores (tests/test_notebooks.py times them).
# =========================================================================================

md("""
# Queues in customer care: a 90-minute lab

Six short experiments with CareQueue, a discrete-event simulator of customer-care queues,
each set against what queueing theory (`sim/erlang.py`) predicts:

| part | question | minutes |
|---|---|---|
| A | Does the simulation agree with Erlang C? What is one more agent worth? | 15 |
| B | Pooling: why does one big team beat several small ones at the same occupancy? | 12 |
| C | Square-root staffing: how should headcount grow with the load? | 13 |
| D | Abandonment: how wrong is Erlang C when callers hang up? Erlang A. | 15 |
| E | Social care 1: how do pile-ons on public complaints fall with response time? | 13 |
| F | Social care 2: secure chat or "please call us" for account work? | 12 |

**Units.** Times are in minutes unless a column says seconds (s). Configs give rates per
hour (`scenario.rate_per_hour`), but the functions of `sim.erlang` take the rate **per
minute** and times in minutes. Offered load R = arrival rate x mean handle time, in Erlangs
(the number of agents the work would keep busy).

**Precision.** Every simulation here is cut short (a few days, a few replications) so that
the whole lab runs in well under a minute. Its numbers are therefore noisier than those of
`experiments/teaching_lab` (20 days x 10 replications): every table shows a 95% confidence
interval across replications, so you can tell noise from effect.
""")

student_md("""
**How to work.** Run the cells from top to bottom. Exercises follow each part; cells titled
*Your turn* run as they are: change the parameter marked `# change me` and run the cell
again. Write your answers in a markdown cell below each question.
""")

teacher_md("""
**Teacher's version.** Every exercise is followed by its answer. The numbers in the answers
are printed by the cells, never typed in, so they stay true if the simulator changes; the
markdown answers explain what to look for in them.
""")

code("""
%matplotlib inline
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from scipy import stats

from sim import api, erlang
from sim.durations import parse_duration

START = time.perf_counter()  # the last cell says how long the lab took
SEED = 1  # one seed everywhere: every variant of a run sees the same customers
RATE = 100.0  # calls per hour (the erlang scenario's default)
HANDLE = 6.0  # mean call length, minutes
TARGET_MIN = 20 / 60  # service-level target: answered within 20 s, in minutes
LOAD = RATE / 60 * HANDLE  # offered load, Erlangs (rate per minute x minutes)
pd.set_option("display.width", 140)
pd.set_option("display.precision", 3)
print(f"offered load R = {LOAD:g} Erlangs")
""")

md("""
Three helpers for parts A–D. `mmc` simulates the textbook queue (`scenario=erlang`: one
phone line, Poisson arrivals, exponential call lengths, `scenario.agents` agents, callers
who never hang up unless `scenario.mean_patience_min` is set) in the steady-state set-up
of `run=steady` (a warm-up deleted from the statistics), shortened.
""")

code('''
MMC_METRICS = ["service_level", "frac_delayed", "asa_min", "abandon_rate", "occupancy"]


def mmc(agents, rate_per_hour=RATE, handle_min=HANDLE, patience_min=None,
        horizon="3d", warmup="4h", replications=5):
    """Simulate one M/M/c queue (M/M/c+M with ``patience_min``) through ``sim.api``.

    Parameters
    ----------
    agents : int
        Agents on the line, all the time.
    rate_per_hour : float
        Poisson arrival rate, calls per hour.
    handle_min, patience_min : float
        Means of the exponential call length and patience, minutes (patience None:
        nobody hangs up).
    horizon, warmup : str
        Simulated time and the start-up period deleted from the statistics.
    replications : int
        Independent runs; the interval is a 95% interval across them.

    Returns
    -------
    pandas.DataFrame
        One row per metric of ``MMC_METRICS``; columns ``mean``, ``ci_low``, ``ci_high``.
        Shares in [0, 1]; ``asa_min`` (average speed of answer) in minutes.
    """
    overrides = ["scenario=erlang", f"scenario.agents={agents}",
                 f"scenario.rate_per_hour={rate_per_hour}",
                 f"scenario.mean_handle_min={handle_min}", f"run.horizon={horizon}",
                 f"run.warmup={warmup}", f"run.replications={replications}", f"seed={SEED}"]
    if patience_min is not None:
        overrides.append(f"scenario.mean_patience_min={patience_min}")
    res = api.run(*overrides)
    rows = {m: api.metric(res, m, "phone")[["mean", "ci_low", "ci_high"]] for m in MMC_METRICS}
    return pd.DataFrame(rows).T.astype(float)


def against_formulas(sims, formulas, metrics):
    """Simulated mean and 95% CI beside closed forms, one row per run and metric.

    ``sims``: {key: mmc() table}; ``formulas``: {name: {key: QueueMetrics or None}};
    ``metrics``: {label: (metric name, scale)}, e.g. {"ASA (s)": ("asa_min", 60)}.
    """
    rows = []
    for key, sim in sims.items():
        for label, (name, scale) in metrics.items():
            row = {"key": key, "metric": label}
            row.update((sim.loc[name] * scale).to_dict())
            for formula, values in formulas.items():
                q = values.get(key)
                row[formula] = getattr(q, name) * scale if q is not None else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def errorbars(ax, x, means, lows, highs, **kw):
    """Simulated means with their 95% CI as error bars."""
    means, lows, highs = (np.asarray(v, dtype=float) for v in (means, lows, highs))
    ax.errorbar(x, means, yerr=[means - lows, highs - means], fmt="o", capsize=4, **kw)
''')

# ---------------------------------------------------------------------------------------
md("""
## A. Erlang C vs simulation (M/M/c)

The textbook call centre: 100 calls/h, exponential call lengths with mean 6 min, c agents,
callers who never hang up. Offered load R = 10 Erlangs, so at least 11 agents are needed
(with 10 the queue grows without bound). Erlang C gives, in steady state:

- **P(wait)**: the share of callers who find every agent busy (`frac_delayed`);
- **ASA**, the average speed of answer: the mean wait of answered callers (here in seconds);
- **service level**: the share answered within 20 s (the 80/20 goal: 80% within 20 s).

`erlang.erlang_c_metrics(rate_per_min, mean_handle_min, servers, target_min)` computes
them. The simulation runs 3 days after a 4-hour warm-up, 5 replications, for 11–16 agents.
""")

code("""
AGENTS = list(range(11, 17))
sims_a = {c: mmc(c) for c in AGENTS}
erlang_c_a = {c: erlang.erlang_c_metrics(RATE / 60, HANDLE, c, TARGET_MIN) for c in AGENTS}
part_a = against_formulas(sims_a, {"erlang_c": erlang_c_a},
                          {"service level": ("service_level", 1), "P(wait)": ("frac_delayed", 1),
                           "ASA (s)": ("asa_min", 60)}).rename(columns={"key": "agents"})
part_a["inside CI"] = part_a["erlang_c"].between(part_a["ci_low"], part_a["ci_high"])
print(f"Erlang C inside the simulation's 95% CI: {part_a['inside CI'].sum()} of {len(part_a)}")
part_a.set_index(["metric", "agents"]).sort_index().round(3)
""")

code("""
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
for ax, label in zip(axes, ["service level", "P(wait)", "ASA (s)"]):
    t = part_a[part_a["metric"] == label]
    ax.plot(t["agents"], t["erlang_c"], "-", color="tab:grey", label="Erlang C")
    errorbars(ax, t["agents"], t["mean"], t["ci_low"], t["ci_high"], color="tab:blue",
              label="simulation (95% CI)")
    ax.set(xlabel="agents", title=label)
    ax.grid(alpha=0.3)
axes[0].axhline(0.8, ls=":", color="k", lw=1)
axes[0].text(11, 0.82, "80/20 goal", fontsize=8)
axes[2].set_yscale("log")
axes[2].set_ylabel("seconds (log scale)")
axes[0].legend(fontsize=8)
fig.suptitle("M/M/c, 100 calls/h x 6 min = 10 Erlangs: each extra agent", fontsize=11)
fig.tight_layout()
plt.show()
""")

md("""
**Look at**: the formula runs through the simulation's intervals; the service level crosses
the 80/20 goal between two headcounts; the ASA axis is logarithmic. If the simulated points
sit on the same side of the curve at every headcount, that is not a bias: every headcount
sees the same callers (one seed: common random numbers), so their errors move together —
which is what makes *differences* between headcounts precise.

**Exercise A1.** Going from 11 to 12 agents adds 9% capacity. By what factor does the ASA
fall, and how many seconds does it save? And from 15 to 16? Why is the first agent above the
load worth so much more than the sixth?
""")

solution("""
asa_c = {c: erlang_c_a[c].asa_min * 60 for c in AGENTS}  # seconds
asa_sim = {c: sims_a[c].loc["asa_min", "mean"] * 60 for c in AGENTS}
saved = {}
for a, b in ((11, 12), (15, 16)):
    saved[a] = asa_c[a] - asa_c[b]
    print(f"{a} -> {b} agents: Erlang C ASA {asa_c[a]:.1f} s -> {asa_c[b]:.1f} s "
          f"({asa_c[a] / asa_c[b]:.1f}-fold, {saved[a]:.1f} s saved); "
          f"simulated {asa_sim[a]:.1f} s -> {asa_sim[b]:.1f} s "
          f"({asa_sim[a] / asa_sim[b]:.1f}-fold)")
    drain = (b / HANDLE - RATE / 60, a / HANDLE - RATE / 60)
    print(f"   spare capacity c/h - lambda: {drain[1]:.3f} -> {drain[0]:.3f} calls/min "
          f"(x{drain[0] / drain[1]:.2f}); P(wait) {erlang_c_a[a].frac_delayed:.3f} -> "
          f"{erlang_c_a[b].frac_delayed:.3f}")
print(f"seconds saved by the 12th agent / by the 16th: {saved[11] / saved[15]:.0f}")
""")

answer("""
In Erlang C, ASA = P(wait) / (c/h − λ): the probability of waiting divided by the rate at
which a full queue drains, the agents' *spare* capacity. With 11 agents for 10 Erlangs the
spare capacity is one agent's worth; the 12th agent doubles it *and* lowers P(wait), so
the ASA falls by more than half. From 15 to 16 the spare capacity grows only by a fifth, so
the relative fall is smaller — and, above all, it is a fall from a few seconds: compare the
seconds saved (printed). Near the load, waits are dominated by the rare moments when the
queue builds up faster than it drains, and the first agent above the load is what limits
them. The printed simulated factors agree with Erlang C within the noise of 3-day runs.
""")

md("""
**Exercise A2 (forecast error).** You staffed 11 agents for a forecast of 100 calls/h. What
happens to the ASA and the service level if 5% more calls arrive? And 5% fewer?
""")

student("""
# Your turn: the actual call rate against the forecast of 100 calls/h.
RATE_ACTUAL = 105.0  # calls/h  # change me (try 95, 100, 105, 108)
c = 11
sim = mmc(c, rate_per_hour=RATE_ACTUAL)
theory = erlang.erlang_c_metrics(RATE_ACTUAL / 60, HANDLE, c, TARGET_MIN)
print(f"{RATE_ACTUAL:g} calls/h, {c} agents: occupancy {RATE_ACTUAL / 60 * HANDLE / c:.1%}")
print(f"  ASA simulated {sim.loc['asa_min', 'mean'] * 60:.0f} s "
      f"[{sim.loc['asa_min', 'ci_low'] * 60:.0f}, {sim.loc['asa_min', 'ci_high'] * 60:.0f}], "
      f"Erlang C {theory.asa_min * 60:.0f} s")
print(f"  service level simulated {sim.loc['service_level', 'mean']:.3f}, "
      f"Erlang C {theory.service_level:.3f}")
""")

solution("""
forecast = erlang.erlang_c_metrics(RATE / 60, HANDLE, 11, TARGET_MIN)
rows = []
for rate in (95.0, 100.0, 105.0, 108.0):
    t = erlang.erlang_c_metrics(rate / 60, HANDLE, 11, TARGET_MIN)
    rows.append({"calls/h": rate, "occupancy": rate / 60 * HANDLE / 11,
                 "ASA (s)": t.asa_min * 60, "ASA / forecast's": t.asa_min / forecast.asa_min,
                 "service level": t.service_level})
print("Erlang C, 11 agents:")
print(pd.DataFrame(rows).round(3).to_string(index=False))
sim = mmc(11, rate_per_hour=105.0)
print(f"simulated at 105 calls/h: ASA {sim.loc['asa_min', 'mean'] * 60:.0f} s "
      f"[{sim.loc['asa_min', 'ci_low'] * 60:.0f}, {sim.loc['asa_min', 'ci_high'] * 60:.0f}]")
""")

answer("""
At 91% occupancy, 5% more calls than forecast multiply the ASA and drop the service level
sharply, while 5% fewer roughly halve it (the table's "ASA / forecast's" column): near the
load, the ASA is steep and convex in the arrival rate. This is why centres are not
run at 91% occupancy: the margin protects against forecast error as much as against
randomness. The 3-day simulation at 105 calls/h is noisy (heavily loaded queues have long,
correlated busy periods), but its interval is in line with the formula.
""")

md("""
**Exercise A3.** How many agents does Erlang C say are needed for the 80/20 goal
(`erlang.min_agents_erlang_c(rate_per_min, mean_handle_min, target_min, service_level)`)?
Does the simulated service level confirm it, at that headcount and one fewer?
""")

solution("""
need = erlang.min_agents_erlang_c(RATE / 60, HANDLE, TARGET_MIN, 0.8)
print(f"Erlang C: {need} agents for 80% within 20 s")
for c in (need - 1, need):
    s = sims_a[c].loc["service_level"]
    print(f"  {c} agents: simulated service level {s['mean']:.3f} [{s['ci_low']:.3f}, "
          f"{s['ci_high']:.3f}], Erlang C {erlang_c_a[c].service_level:.3f}")
""")

answer("""
The printed headcount is the smallest whose Erlang C service level reaches 0.8. The
simulation agrees when the interval at that headcount lies above 0.8 and the one at one
agent fewer lies below it (the printed intervals show whether the short runs separate
them; with longer runs they always do).
""")

# ---------------------------------------------------------------------------------------
md("""
## B. The pooling effect

k separate teams, each of 6 agents taking 50 calls/h of 6 minutes (5 Erlangs: occupancy
5/6, about 83%), against one merged team of 6k agents taking all 50k calls/h: the same
people, equally busy. For k = 1, 2, 4, 8 (2 days after a 4-hour warm-up, 5 replications).
""")

code("""
KS = [1, 2, 4, 8]
TEAM_AGENTS, TEAM_RATE = 6, 50.0  # one team: 6 agents, 50 calls/h x 6 min = 5 Erlangs
sims_b = {k: mmc(TEAM_AGENTS * k, rate_per_hour=TEAM_RATE * k, horizon="2d") for k in KS}
erlang_c_b = {k: erlang.erlang_c_metrics(TEAM_RATE * k / 60, HANDLE, TEAM_AGENTS * k, TARGET_MIN)
              for k in KS}
part_b = against_formulas(sims_b, {"erlang_c": erlang_c_b},
                          {"P(wait)": ("frac_delayed", 1), "ASA (s)": ("asa_min", 60),
                           "service level": ("service_level", 1)}).rename(columns={"key": "k"})
part_b.insert(1, "agents", part_b["k"] * TEAM_AGENTS)
asa_b = part_b[part_b["metric"] == "ASA (s)"].set_index("k")["mean"]
print(f"Two separate teams of 6 make callers wait {asa_b[1]:.0f} s on average; merged into one "
      f"team of 12, {asa_b[2]:.0f} s ({asa_b[1] / asa_b[2]:.1f} times shorter), with the same "
      f"occupancy. Eight teams merged: {asa_b[8]:.1f} s.")
part_b.set_index(["metric", "k"]).sort_index().round(3)
""")

code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
pool = np.arange(6, 49)  # every pool size at occupancy 5/6
theory = [erlang.erlang_c_metrics(TEAM_RATE / TEAM_AGENTS * n / 60, HANDLE, n, TARGET_MIN)
          for n in pool]
for ax, label, attr, scale in ((axes[0], "P(wait)", "frac_delayed", 1),
                               (axes[1], "ASA (s)", "asa_min", 60)):
    t = part_b[part_b["metric"] == label]
    ax.plot(pool, [getattr(q, attr) * scale for q in theory], "-", color="tab:grey",
            label="Erlang C")
    errorbars(ax, t["agents"], t["mean"], t["ci_low"], t["ci_high"], color="tab:red",
              label="simulation (95% CI)")
    ax.set(xlabel="agents in the pool (occupancy 5/6 throughout)", title=label,
           xticks=[TEAM_AGENTS * k for k in KS])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.suptitle("Pooling: same occupancy, bigger pool, shorter waits", fontsize=11)
fig.tight_layout()
plt.show()
""")

md("""
**Exercise B1.** Why does a merged team do better at the same occupancy? Hint: with two
separate teams, how often does a caller wait in one team while an agent of the other sits
idle? `erlang.birth_death_mmc(rate_per_min, mean_handle_min, servers, None, max_n)` gives
the stationary distribution of the number of calls in one team (waiting or in service).
""")

student("""
# Your turn: the distribution of the number of calls in ONE team of 6 (50 calls/h).
pi = erlang.birth_death_mmc(TEAM_RATE / 60, HANDLE, TEAM_AGENTS, None, max_n=200)
print("P(n calls in the team), n = 0..12:", pi[:13].round(3))
# From pi: the chance that callers are queueing in a team (n > 6), that an agent is idle
# (n < 6), and so the chance that the two happen at once in two independent teams.
""")

solution("""
pi = erlang.birth_death_mmc(TEAM_RATE / 60, HANDLE, TEAM_AGENTS, None, max_n=200)
queueing = pi[TEAM_AGENTS + 1:].sum()  # someone waits in this team
idle = pi[:TEAM_AGENTS].sum()  # at least one agent of this team is free
# Two independent teams; "A queues, B idles" and "B queues, A idles" cannot both happen.
wasted = 2 * queueing * idle
print(f"one team: P(queue) = {queueing:.3f}, P(an agent idle) = {idle:.3f}")
print(f"two separate teams: a caller waits while an agent of the other team is free "
      f"{wasted:.1%} of the time")
""")

answer("""
In separate teams, a caller can queue in one team while an agent of the other sits idle —
the printed share of the time. A merged team never wastes capacity that way: a caller
waits only when *all* agents are busy. Merging lets the randomness of the two streams
offset each other; statistically, the spare capacity needed grows like the square root of
the load (Part C), not in proportion to it, so at equal occupancy the bigger pool has more
spare capacity *relative to its randomness*.
""")

md("""
**Exercise B2.** Does pooling help as much at other occupancies? Compare the ASA of one team
of 6 with two merged (12 agents), at a lower and a higher occupancy. (Erlang C only: the
simulation agreed with it above, and formulas are instant.)
""")

student("""
# Your turn: pooling at another occupancy (Erlang C).
RHO = 0.9  # occupancy of every team  # change me (try 0.7, 0.9, 0.95)
for k in KS:
    n = TEAM_AGENTS * k
    q = erlang.erlang_c_metrics(RHO * n / HANDLE, HANDLE, n, TARGET_MIN)  # rate per minute
    print(f"k = {k}: {n:2d} agents, P(wait) {q.frac_delayed:.3f}, ASA {q.asa_min * 60:6.1f} s, "
          f"service level {q.service_level:.3f}")
""")

solution("""
rows = []
for rho in (0.7, 5 / 6, 0.9, 0.95):
    one, two = (erlang.erlang_c_metrics(rho * n / HANDLE, HANDLE, n, TARGET_MIN) for n in (6, 12))
    rows.append({"occupancy": rho, "ASA 6 agents (s)": one.asa_min * 60,
                 "ASA 12 merged (s)": two.asa_min * 60, "ratio": one.asa_min / two.asa_min,
                 "seconds saved": (one.asa_min - two.asa_min) * 60})
pd.DataFrame(rows).round(2)
""")

answer("""
Merging helps at every occupancy. In relative terms (the "ratio" column) it helps most when
the teams are lightly loaded, but in seconds of waiting saved (the last column) the gain
grows steeply with occupancy. At low occupancy few
callers wait anyway; near full occupancy the small team's queue is where the waiting is, and
pooling is worth most exactly where a centre is squeezed. Where it breaks down in real
operations: skills and languages (not every agent can take every call), longer handle
times for generalists, and channels of different urgency sharing agents (see the pooling
study, `experiments/pooling/README.md`).
""")

# ---------------------------------------------------------------------------------------
md(r"""
## C. Square-root staffing

As an operation grows, how should its headcount grow? For an offered load of R Erlangs,
compare four rules:

- **square-root staffing** N = ⌈R + β√R⌉ (`erlang.sqrt_staffing(R, beta)`), β = 1 and 0.5;
- **fixed occupancy**: N = ⌈R / 0.85⌉ (85% occupancy);
- **fixed margin**: N = R + 2.

Halfin and Whitt showed that with N = R + β√R, P(wait) tends, as R grows, to the constant
$[1 + \beta\,\Phi(\beta)/\varphi(\beta)]^{-1}$ (`erlang.halfin_whitt_delay(beta)`; Φ and φ
are the standard normal CDF and density): the quality-and-efficiency-driven regime.
Erlang C (exact for M/M/c, as Part A showed) draws every rule; the simulation checks β = 1
at R = 4, 16, 64, 144 (6-min calls at 10 R calls/h; 20 h = 200 mean call lengths after a
1-hour warm-up, 5 replications). These loads are squares of even numbers, so R + √R and
R + 0.5 √R are whole agents and β is exact.
""")

code("""
LOADS = [4, 16, 64, 144]  # Erlangs
RULES = {
    "square root, beta = 1": lambda r: erlang.sqrt_staffing(r, 1.0),
    "square root, beta = 0.5": lambda r: erlang.sqrt_staffing(r, 0.5),
    "fixed occupancy 85%": lambda r: math.ceil(r / 0.85 - 1e-9),
    "load + 2": lambda r: math.floor(r) + 2,
}
sims_c = {r: mmc(RULES["square root, beta = 1"](r), rate_per_hour=60 * r / HANDLE,
                 horizon="20h", warmup="1h") for r in LOADS}
rows = []
for r in LOADS:
    row = {"R": r}
    for rule, staff in RULES.items():
        row[f"N ({rule})"] = staff(r)
        row[f"P(wait) ({rule})"] = erlang.erlang_c(staff(r), r)
    s = sims_c[r].loc["frac_delayed"]
    row["P(wait) beta = 1, simulated [95% CI]"] = (f"{s['mean']:.3f} "
                                                   f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]")
    rows.append(row)
part_c = pd.DataFrame(rows).set_index("R")
for beta in (1.0, 0.5):
    print(f"Halfin-Whitt limit, beta = {beta:g}: {erlang.halfin_whitt_delay(beta):.3f}")
part_c.T
""")

code("""
grid = np.arange(2, 201)  # loads, Erlangs
colours = ["tab:blue", "tab:cyan", "tab:orange", "tab:red"]
fig, ax = plt.subplots(figsize=(10, 4.3))
for (rule, staff), colour in zip(RULES.items(), colours):
    ax.plot(grid, [erlang.erlang_c(staff(r), r) for r in grid], "-", color=colour, lw=1.2,
            label=f"{rule} (Erlang C)")
s = pd.DataFrame({r: sims_c[r].loc["frac_delayed"] for r in LOADS}).T
errorbars(ax, s.index, s["mean"], s["ci_low"], s["ci_high"], color="tab:blue",
          label="beta = 1, simulated (95% CI)")
for beta, colour in ((1.0, "tab:blue"), (0.5, "tab:cyan")):
    ax.axhline(erlang.halfin_whitt_delay(beta), ls=":", color=colour, lw=1.2)
ax.set_xscale("log")
ax.set(xlabel="offered load R (Erlangs, log scale)", ylabel="P(wait)", ylim=(0, 1),
       title="Staffing rules as the operation grows (dotted: Halfin-Whitt limits)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()
plt.show()
""")

md("""
**Look at**: square-root staffing holds P(wait) nearly level over the whole range of load,
near its Halfin–Whitt limit; a fixed occupancy makes waiting vanish in large centres
(over-staffing them) and a fixed margin makes most callers wait (under-staffing them). The
saw-teeth are whole agents.

**Exercise C1.** The safety margin N − R grows like √R. For β = 1, how many agents is it at
R = 4 and at R = 144, and what share of the team? Relate this to Part B.
""")

solution("""
for r in (4, 144):
    n = erlang.sqrt_staffing(r, 1.0)
    print(f"R = {r:3d}: N = {n:3d}, safety margin {n - r:2d} agents = "
          f"{(n - r) / n:.0%} of the team, occupancy {r / n:.0%}")
""")

answer("""
The margin grows (√R agents) but its *share* of the team shrinks (printed): large
operations need proportionally fewer spare agents for the same P(wait). That is Part B's
economy of scale seen from the staffing side: a merged team can run at a higher occupancy
for the same service, or at the same occupancy with better service.
""")

md("""
**Exercise C2.** Halfin–Whitt is a limit for large R. How large must R be before it is
within 0.02 of Erlang C's P(wait) for β = 1?
""")

solution("""
limit = erlang.halfin_whitt_delay(1.0)
for m in range(2, 32, 2):  # R = m^2 with m even: R + sqrt(R) is whole, beta exactly 1
    r = m * m
    gap = erlang.erlang_c(r + m, r) - limit
    print(f"R = {r:4d}: Erlang C {erlang.erlang_c(r + m, r):.4f}, limit {limit:.4f}, "
          f"gap {gap:+.4f}")
    if abs(gap) < 0.02:
        print(f"-> within 0.02 from R = {r} on")
        break
""")

answer("""
The gap shrinks slowly (roughly like 1/√R: it halves each time R is multiplied by four), and
for β = 1 Erlang C stays above the limit; the printed
load is where it first falls below 0.02. For small teams the limit is only a guide; compute
Erlang C itself (or simulate) to staff them.
""")

md("""
**Exercise C3.** β is the quality knob of square-root staffing. What P(wait) and service
level does β = 0.5, 1, 2 give at R = 100, and what does each cost in agents?
""")

student("""
# Your turn: square-root staffing with another beta (Erlang C, 6-min calls, 20-s target).
BETA = 1.0  # change me (try 0.25, 0.5, 1.5, 2)
print(f"Halfin-Whitt limit for beta = {BETA:g}: {erlang.halfin_whitt_delay(BETA):.3f}")
for r in LOADS:
    n = erlang.sqrt_staffing(r, BETA)
    q = erlang.erlang_c_metrics(r / HANDLE, HANDLE, n, TARGET_MIN)  # rate per minute
    print(f"R = {r:3d}: N = {n:3d}, P(wait) {q.frac_delayed:.3f}, "
          f"service level {q.service_level:.3f}")
""")

solution("""
rows = []
for beta in (0.25, 0.5, 1.0, 1.5, 2.0):
    n = erlang.sqrt_staffing(100, beta)
    q = erlang.erlang_c_metrics(100 / HANDLE, HANDLE, n, TARGET_MIN)
    rows.append({"beta": beta, "N at R = 100": n, "P(wait)": q.frac_delayed,
                 "Halfin-Whitt": erlang.halfin_whitt_delay(beta), "service level": q.service_level,
                 "ASA (s)": q.asa_min * 60})
pd.DataFrame(rows).round(3)
""")

answer("""
Each step of 0.5 in β buys a lower P(wait) and a higher service level for 0.5 √R = 5 more
agents at R = 100 (the table), with diminishing returns in the service level. β is set
once from the service goal; the same β then serves every load, which is what makes the rule
practical: the larger the operation, the closer Erlang C's answer is to R + β√R.
""")

# ---------------------------------------------------------------------------------------
md("""
## D. Abandonment and Erlang A

Real callers hang up. Give each caller an exponential patience with mean 3 minutes
(`scenario.mean_patience_min=3`): a caller still waiting when it runs out abandons. This is
the M/M/c+M queue, solved exactly by Erlang A:
`erlang.erlang_a_metrics(rate_per_min, mean_handle_min, servers, mean_patience_min,
target_min)`. Unlike Erlang C it has a steady state even with fewer agents than the load
(10 Erlangs). 8–13 agents (2 days after a 4-hour warm-up, 5 replications); the service
level counts an abandoned call as a miss, the ASA is over answered calls, in seconds.
""")

code("""
PATIENCE = 3.0  # minutes, mean of the exponential patience
AGENTS_D = [8, 9, 10, 11, 12, 13]
sims_d = {c: mmc(c, patience_min=PATIENCE, horizon="2d") for c in AGENTS_D}
erlang_a_d = {c: erlang.erlang_a_metrics(RATE / 60, HANDLE, c, PATIENCE, TARGET_MIN)
              for c in AGENTS_D}
# Erlang C has no steady state unless agents > load: no value there.
erlang_c_d = {c: erlang.erlang_c_metrics(RATE / 60, HANDLE, c, TARGET_MIN)
              for c in AGENTS_D if c > LOAD}
part_d = against_formulas(sims_d, {"erlang_a": erlang_a_d, "erlang_c": erlang_c_d},
                          {"abandoned": ("abandon_rate", 1), "P(wait)": ("frac_delayed", 1),
                           "ASA (s)": ("asa_min", 60), "service level": ("service_level", 1)}
                          ).rename(columns={"key": "agents"})
part_d["A inside CI"] = part_d["erlang_a"].between(part_d["ci_low"], part_d["ci_high"])
print(f"Erlang A inside the simulation's 95% CI: {part_d['A inside CI'].sum()} of {len(part_d)}")
part_d.set_index(["metric", "agents"]).sort_index().round(3)
""")

code("""
fig, axes = plt.subplots(1, 4, figsize=(15, 3.5))
for ax, label in zip(axes, ["abandoned", "P(wait)", "ASA (s)", "service level"]):
    t = part_d[part_d["metric"] == label]
    ax.plot(t["agents"], t["erlang_a"], "-", color="tab:green", label="Erlang A")
    ax.plot(t["agents"], t["erlang_c"], "--", color="tab:grey", label="Erlang C (no abandonment)")
    errorbars(ax, t["agents"], t["mean"], t["ci_low"], t["ci_high"], color="tab:blue",
              label="simulation (95% CI)")
    ax.axvline(LOAD, ls=":", color="k", lw=1)
    ax.set(xlabel="agents (dotted: the load)", title=label)
    ax.grid(alpha=0.3)
axes[2].set_yscale("log")
axes[0].legend(fontsize=8)
fig.suptitle(f"M/M/c+M: 100 calls/h x 6 min, mean patience {PATIENCE:g} min", fontsize=11)
fig.tight_layout()
plt.show()
""")

code("""
# Erlang C's error where it has an answer at all: it ignores the callers who hang up.
t = part_d.dropna(subset=["erlang_c"]).pivot(index="agents", columns="metric",
                                              values=["mean", "erlang_c"])
print((t["erlang_c"]["ASA (s)"] / t["mean"]["ASA (s)"])
      .rename("Erlang C ASA / simulated ASA").round(2))
print((t["erlang_c"]["service level"] - t["mean"]["service level"])
      .rename("Erlang C service level - simulated").round(3))
""")

md("""
**Look at**: with 8–10 agents Erlang C has no answer (the queue would grow for ever), yet
the real queue is stable: abandonment sheds the excess. Above the load, Erlang C
overestimates the ASA many times over (it keeps in the queue the callers who in fact hung
up, and makes everyone behind them wait) and underestimates the service level — while it
says nothing of the abandonment, which counts as a miss.

**Exercise D1.** How does Erlang C's error at 11 agents depend on the callers' patience?
Try short (1 min) and long (60 min) patience.
""")

student("""
# Your turn: the callers' mean patience, 11 agents.
PATIENCE_TRY = 1.0  # minutes  # change me (try 0.5, 10, 60)
c = 11
sim = mmc(c, patience_min=PATIENCE_TRY, horizon="2d")
a = erlang.erlang_a_metrics(RATE / 60, HANDLE, c, PATIENCE_TRY, TARGET_MIN)
cc = erlang.erlang_c_metrics(RATE / 60, HANDLE, c, TARGET_MIN)
print(f"patience {PATIENCE_TRY:g} min, {c} agents:")
print(f"  abandoned: simulated {sim.loc['abandon_rate', 'mean']:.3f}, "
      f"Erlang A {a.abandon_rate:.3f}, Erlang C 0")
print(f"  ASA: simulated {sim.loc['asa_min', 'mean'] * 60:.0f} s, "
      f"Erlang A {a.asa_min * 60:.0f} s, Erlang C {cc.asa_min * 60:.0f} s")
""")

solution("""
cc = erlang.erlang_c_metrics(RATE / 60, HANDLE, 11, TARGET_MIN)
rows = []
for patience in (0.5, 1, 3, 10, 30, 120, 1000):
    a = erlang.erlang_a_metrics(RATE / 60, HANDLE, 11, patience, TARGET_MIN)
    rows.append({"patience (min)": patience, "abandoned": a.abandon_rate,
                 "ASA A (s)": a.asa_min * 60, "ASA C / ASA A": cc.asa_min / a.asa_min,
                 "SL A": a.service_level, "SL C": cc.service_level})
pd.DataFrame(rows).round(3)
""")

answer("""
The less patient the callers, the more Erlang C overstates the ASA (the "ASA C / ASA A"
column): impatient callers leave the queue, which shortens it for those who stay. As the
patience grows, Erlang A tends to Erlang C (the last rows). In a heavily loaded centre,
Erlang C is pessimistic about the waits but blind to the callers who gave up.
""")

md("""
**Exercise D2.** Staff the 3-minute-patience line for the 80/20 goal: how many agents does
Erlang C say, and Erlang A (`erlang.min_agents_erlang_a(rate_per_min, mean_handle_min,
mean_patience_min, target_min, service_level)`)? Check both by simulation. What do the
callers pay for the smaller headcount?
""")

solution("""
need_c = erlang.min_agents_erlang_c(RATE / 60, HANDLE, TARGET_MIN, 0.8)
need_a = erlang.min_agents_erlang_a(RATE / 60, HANDLE, PATIENCE, TARGET_MIN, 0.8)
print(f"for 80% within 20 s: Erlang C says {need_c} agents, Erlang A {need_a}")
for c in sorted({need_a, need_c}):
    s = sims_d[c] if c in sims_d else mmc(c, patience_min=PATIENCE, horizon="2d")
    sl, ab = s.loc["service_level"], s.loc["abandon_rate"]
    print(f"  {c} agents, simulated: service level {sl['mean']:.3f} [{sl['ci_low']:.3f}, "
          f"{sl['ci_high']:.3f}], abandoned {ab['mean']:.3f} "
          f"[{ab['ci_low']:.3f}, {ab['ci_high']:.3f}]")
""")

answer("""
With abandonment the goal is met with fewer agents than Erlang C asks for (printed); the
simulation confirms the service level at Erlang A's headcount. The price is the callers who
hang up (the printed abandonment share): Erlang C over-staffs an impatient line, while a
plan from Erlang A should look at the abandonment as well as the service level.
""")

# ---------------------------------------------------------------------------------------
md("""
## E. Social care 1: pile-ons vs response time

Now the default study: a mid-size operation with six channels (phone, chat, email,
Twitter, Facebook, private messages). A public complaint on Twitter that nobody answers
invites other customers to pile on in its thread: while unanswered, a complaint excites
pile-ons at rate n w / τ · exp(−t/τ) (a Hawkes process: branching ratio n, decay τ, w the
author's reach weight, mean 1); the first response stops it (`sim/pileons.py`). Public
exposure = the author's followers x the time until the first response (here in
follower-hours per public post). These parameters are ASSUMED (`docs/calibration.md`).

The knob: the Twitter headcount, flat round the clock (`staffing=fixed`,
`staffing.agents.twitter=N`), 2 to 6 agents; phone 32 and chat 13 agents round the clock,
as in `experiments/pileon_response/study.yaml` (so that their abandoners, some of whom
tweet, hardly feed Twitter). 2 days (the run then serves the last contacts, up to one more
day), 4 replications, one seed: every headcount sees the same customers and the same
*potential* pile-ons.
""")

code("""
TWITTER_AGENTS = [2, 3, 4, 5, 6]
SOCIAL_DAYS = 2  # simulated days per replication
SOCIAL = ["staffing=fixed", "scenario.pools.phone.agents=32", "scenario.pools.chat.agents=13",
          f"run.horizon={SOCIAL_DAYS}d", "run.replications=4", f"seed={SEED}"]
runs_e = {n: api.run(*SOCIAL, f"staffing.agents.twitter={n}") for n in TWITTER_AGENTS}
TW_METRICS = {"first response p50 (min)": ("frt_p50_min", 1),
              "first response p90 (min)": ("frt_p90_min", 1),
              "pile-ons per complaint": ("pileons_per_complaint", 1),
              "exposure (follower-h per post)": ("public_exposure", 1 / 60),
              "occupancy": ("occupancy", 1), "dissatisfied": ("dissatisfaction_rate", 1)}
rows = []
for n, res in runs_e.items():
    for label, (name, scale) in TW_METRICS.items():
        m = api.metric(res, name, "twitter")
        rows.append({"agents": n, "metric": label, "mean": m["mean"] * scale,
                     "ci_low": m["ci_low"] * scale, "ci_high": m["ci_high"] * scale})
part_e = pd.DataFrame(rows)
part_e.assign(value=[f"{m:.3g} [{lo:.3g}, {hi:.3g}]" for m, lo, hi in
                     zip(part_e["mean"], part_e["ci_low"], part_e["ci_high"])]
              ).pivot(index="metric", columns="agents", values="value").reindex(list(TW_METRICS))
""")

md("""
Each original complaint's own first-response time W against the pile-ons it drew,
all headcounts pooled: the model expects n (1 − exp(−W/τ)) direct pile-ons from an author
of average reach, with n and τ read from the run's configuration.
""")

code("""
pileon = yaml.safe_load(runs_e[4].config_yaml)["scenario"]["channels"]["twitter"]["pileon"]
BRANCHING, DECAY_MIN = float(pileon["branching"]), parse_duration(pileon["decay"], "decay")
complaints = pd.concat(
    [r.contacts.query("channel == 'twitter' and negative and origin != 'pileon' and not warmup")
     .assign(agents=n) for n, r in runs_e.items()])
complaints["W"] = complaints["first_response_min"] - complaints["arrival_min"]
BINS = [0, 1, 5, 15, 30, 60, 120, 240, 480, np.inf]  # minutes to the first response
binned = (complaints.dropna(subset=["W"])
          .assign(bin=lambda d: pd.cut(d["W"], BINS, right=False))
          .groupby("bin", observed=True)
          .agg(complaints=("W", "size"), median_W=("W", "median"), pileons=("pileons", "mean"),
               model=("W", lambda w: float(np.mean(BRANCHING * (1 - np.exp(-w / DECAY_MIN)))))))
print(f"Twitter: branching n = {BRANCHING:g}, decay tau = {DECAY_MIN:g} min; "
      f"{complaints['W'].isna().sum()} complaints never answered (left out)")
binned.round(4)
""")

code('''
def band(ax, label, colour):
    """One metric of part_e against the headcount: mean line, 95% CI band."""
    t = part_e[part_e["metric"] == label]
    ax.plot(t["agents"], t["mean"], "o-", color=colour, label=label)
    ax.fill_between(t["agents"], t["ci_low"], t["ci_high"], color=colour, alpha=0.2)


fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
band(axes[0], "first response p50 (min)", "tab:blue")
band(axes[0], "first response p90 (min)", "tab:red")
axes[0].set_yscale("symlog", linthresh=1)
axes[0].axhline(30, ls=":", color="k", lw=1)  # Twitter's target in the default study
axes[0].set(xlabel="Twitter agents (round the clock)", ylabel="minutes (symlog)",
            title="First-response time (dotted: 30-min target)")
band(axes[1], "pile-ons per complaint", "tab:purple")
axes[1].set(xlabel="Twitter agents (round the clock)", title="Pile-ons and exposure")
twin = axes[1].twinx()
band(twin, "exposure (follower-h per post)", "tab:green")
twin.set_yscale("symlog", linthresh=1)
twin.set_ylabel("exposure, follower-hours per post", color="tab:green")
axes[1].legend(handles=axes[1].get_lines()[:1] + twin.get_lines()[:1], fontsize=8)
w = np.geomspace(0.1, 3000, 200)
axes[2].plot(binned["median_W"].clip(lower=0.1), binned["pileons"], "o", color="tab:purple",
             label="simulated (bins of W)")
axes[2].plot(w, BRANCHING * (1 - np.exp(-w / DECAY_MIN)), "-", color="k", lw=1,
             label="model n (1 - exp(-W/tau))")
axes[2].set_xscale("log")
axes[2].set(xlabel="the complaint's own first-response time W (min, log)",
            ylabel="direct pile-ons per complaint", title="What each minute unanswered costs")
for ax in axes:
    ax.grid(alpha=0.3)
for ax in axes[:2]:
    ax.set_xticks(TWITTER_AGENTS)
axes[0].legend(fontsize=8)
axes[2].legend(fontsize=8)
fig.tight_layout()
plt.show()
''')

md("""
**Look at**: pile-ons fall steeply with the response time, and almost all the fall happens
between "hours" and "a few minutes"; beyond some headcount there is nothing left to buy.
The simulated bins follow the model: the first minutes unanswered are the most expensive
(n/τ pile-ons a minute at first), and a complaint left for several decay times draws about n.

**Exercise E1 (the cost of speed).** Going from 3 to 4 Twitter agents costs how many
agent-hours a day, and how many pile-on tweets a day does it prevent? And from 4 to 5?
""")

solution("""
def cost_and_pileons(res):
    \"\"\"Twitter agent-hours and pile-on tweets per simulated day, mean over replications.\"\"\"
    c = res.contacts
    pileons = (c[(c["channel"] == "twitter") & (c["origin"] == "pileon") & ~c["warmup"]]
               .groupby("replication").size()
               .reindex(range(c["replication"].nunique()), fill_value=0))
    return (api.metric(res, "agent_hours", "twitter")["mean"] / SOCIAL_DAYS,
            pileons.mean() / SOCIAL_DAYS)


for a, b in ((3, 4), (4, 5)):
    (hours_a, pile_a), (hours_b, pile_b) = cost_and_pileons(runs_e[a]), cost_and_pileons(runs_e[b])
    print(f"{a} -> {b} agents: +{hours_b - hours_a:.0f} agent-hours a day, "
          f"{pile_a - pile_b:.1f} fewer pile-on tweets a day ({pile_a:.1f} -> {pile_b:.1f})")
""")

answer("""
The same extra agent-hours buy far fewer avoided pile-ons from 4 to 5 agents than from 3 to
4 (printed): once most complaints are answered within minutes, the few pile-ons left are
cheap to tolerate and expensive to remove. Pile-ons are also work — every pile-on tweet is a
contact the team must answer — so the slow team makes part of its own load.
""")

md("""
**Exercise E2.** Make Twitter more contagious: double the branching ratio
(`scenario.channels.twitter.pileon.branching`). Does the fourth agent become worth more?
""")

student("""
# Your turn: a more contagious Twitter, at 3 and 4 agents.
BRANCHING_TRY = 0.5  # change me (try 0.1, 0.5, 0.8; must stay below 1)
for n in (3, 4):
    res = api.run(*SOCIAL, f"staffing.agents.twitter={n}",
                  f"scenario.channels.twitter.pileon.branching={BRANCHING_TRY}")
    m = api.metric(res, "pileons_per_complaint", "twitter")
    print(f"branching {BRANCHING_TRY:g}, {n} agents: pile-ons per complaint {m['mean']:.3f} "
          f"[{m['ci_low']:.3f}, {m['ci_high']:.3f}]")
""")

solution("""
rows = []
for branching in (BRANCHING, 2 * BRANCHING):
    per_n = {}
    for n in (3, 4):
        res = runs_e[n] if branching == BRANCHING else api.run(
            *SOCIAL, f"staffing.agents.twitter={n}",
            f"scenario.channels.twitter.pileon.branching={branching}")
        per_n[n] = api.metric(res, "pileons_per_complaint", "twitter")["mean"]
        arrivals = api.metric(res, "arrivals", "twitter")["mean"]
        rows.append({"branching": branching, "agents": n, "pile-ons per complaint": per_n[n],
                     "Twitter arrivals": arrivals})
    print(f"branching {branching:g}: the 4th agent removes {per_n[3] - per_n[4]:.3f} "
          "pile-ons per complaint")
pd.DataFrame(rows).round(3)
""")

answer("""
Pile-ons scale with the branching ratio (and pile-ons draw their own pile-ons: a never-answered
complaint draws n / (1 − n) in all), so in a more contagious channel the same gain in speed
removes more pile-ons (printed) and more Twitter contacts. The shape of the curve is the
model's; its height is set by n, an ASSUMED parameter — which is why a study should sweep it.
""")

md("""
**Exercise E3.** Why is the exposure interval so much wider than the pile-on interval?
What share of all exposure comes from the 1% of public posts with the largest exposure?
""")

solution("""
posts = pd.concat([r.contacts.query("channel == 'twitter' and public and not warmup")
                   for r in runs_e.values()])
top = posts["public_exposure"].quantile(0.99)
exposure = posts["public_exposure"]
share = exposure[exposure >= top].sum() / exposure.sum()
print(f"the top 1% of posts by exposure carry {share:.0%} of all exposure; "
      f"reach: median {posts['reach'].median():.0f} followers, mean {posts['reach'].mean():.0f}, "
      f"max {posts['reach'].max():,.0f}")
""")

answer("""
Exposure is reach x minutes unanswered, and reach is heavy-tailed (lognormal): a handful of
authors with huge followings carry a large share of it (printed), so a mean over a few
replications swings with whether one of them complained at a bad moment. Pile-ons per
complaint average over many complaints of similar weight and are steadier. For heavy-tailed
metrics, report medians or shares above a threshold as well as means, and run longer.
""")

# ---------------------------------------------------------------------------------------
md("""
## F. Social care 2: secure chat vs "please call us"

Some contacts need account work (a refund, an address change) that a public tweet, a
Facebook post, a private message or an email cannot do securely. Two policies
(`escalation=`, `docs/policies.md`):

- `to_phone`: the reply says "please call us": a *forced* channel switch; whoever follows
  calls 15 min later and joins the phone queue;
- `to_secure_chat`: the reply carries a link to a private, secure chat: not a forced switch;
  whoever follows opens it 2 min later and joins the chat queue.

Whoever does not follow gives up: the journey (a customer's problem across channels) ends
unresolved. The share who follow (`escalation.follow`) is ASSUMED, and the shipped defaults
differ (0.6 for "call us", 0.9 for the link); to compare the *channels*, hold it equal at
0.6. The default study and shift table (nobody added to phone or chat for the escalated
work), 2 days, 5 replications, one seed: both policies see the same customers, and the
same ones comply — a **paired** comparison, replication by replication.
""")

code("""
FOLLOW = 0.6
SECURE = ["run.horizon=2d", "run.replications=5", f"seed={SEED}"]  # the default study, shortened
runs_f = {policy: api.run(*SECURE, f"escalation={policy}", f"escalation.follow={FOLLOW}")
          for policy in ("to_phone", "to_secure_chat")}
INSECURE = ["email", "twitter", "facebook", "messages"]


def secure_journeys(res):
    \"\"\"Per replication: shares resolved and dissatisfied (gave up included) of the journeys
    whose first contact needed secure work in a non-secure channel.\"\"\"
    first = res.contacts.query("origin == 'arrival'")[
        ["replication", "journey_id", "channel", "needs_secure"]]
    j = res.journeys.merge(first, on=["replication", "journey_id"])
    j = j[j["needs_secure"] & j["channel"].isin(INSECURE) & ~j["warmup"]]
    return j.groupby("replication")[["resolved", "dissatisfied"]].mean()


def per_replication(res, channel, metric):
    \"\"\"One summary metric of one channel, one value per replication.\"\"\"
    p = res.per_replication
    return p[(p["channel"] == channel) & (p["metric"] == metric)].set_index("replication")["value"]


def series(res):
    \"\"\"The metrics compared in part F, one column per metric, one row per replication.\"\"\"
    sj = secure_journeys(res)
    return pd.DataFrame({
        "secure journeys resolved": sj["resolved"],
        "secure journeys dissatisfied": sj["dissatisfied"],
        "contacts forced to switch": per_replication(res, "all", "forced_switch_rate"),
        "contacts dissatisfied": per_replication(res, "all", "dissatisfaction_rate"),
        "phone service level": per_replication(res, "phone", "service_level"),
        "chat service level": per_replication(res, "chat", "service_level"),
        "chat abandoned": per_replication(res, "chat", "abandon_rate"),
    })


def paired(a, b):
    \"\"\"b - a paired by replication: mean and 95% t interval, and how much wider the
    interval of an unpaired comparison of the same runs would be.\"\"\"
    d = b - a
    n = len(d)
    half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    half_unpaired = stats.t.ppf(0.975, 2 * n - 2) * math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / n)
    return {"diff": d.mean(), "ci_low": d.mean() - half, "ci_high": d.mean() + half,
            "unpaired / paired width": half_unpaired / half if half > 0 else np.nan}


def paired_table(base, other):
    \"\"\"Means of both runs and their paired differences, one row per metric.\"\"\"
    a, b = series(base), series(other)
    return pd.DataFrame({m: {"baseline": a[m].mean(), "other": b[m].mean(), **paired(a[m], b[m])}
                         for m in a}).T


part_f = paired_table(runs_f["to_phone"], runs_f["to_secure_chat"]).rename(
    columns={"baseline": "to_phone", "other": "to_secure_chat"})
part_f.round(3)
""")

code("""
a, b = series(runs_f["to_phone"]), series(runs_f["to_secure_chat"])
shown = ["secure journeys resolved", "secure journeys dissatisfied", "phone service level",
         "chat service level"]
fig, axes = plt.subplots(1, len(shown), figsize=(14, 3.4))
for ax, metric in zip(axes, shown):
    for rep in a.index:  # one line per replication: the same customers under both policies
        ax.plot([0, 1], [a.loc[rep, metric], b.loc[rep, metric]], "o-", color="tab:grey",
                alpha=0.7)
    ax.plot([0, 1], [a[metric].mean(), b[metric].mean()], "s-", color="tab:blue", lw=2,
            label="mean")
    ax.set_xticks([0, 1], ["to_phone", "to_secure_chat"])
    ax.set_xlim(-0.3, 1.3)
    ax.set_title(metric, fontsize=10)
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=8)
fig.suptitle(f"Paired by replication (follow = {FOLLOW:g} under both): each grey line is one "
             "replication", fontsize=11)
fig.tight_layout()
plt.show()
""")

md("""
**Look at**: the grey lines run roughly parallel — each replication's customers move the same
way under both policies — so the differences are much steadier than the levels. The secure
chat removes the forced switch, and with it much of the dissatisfaction; but the escalated
work lands on a chat queue staffed only for its own traffic.

**Exercise F1.** Why is the paired interval narrower than an unpaired one would be (last
column)? For which metrics does pairing help most?
""")

solution("""
part_f["unpaired / paired width"].sort_values(ascending=False).round(1)
""")

answer("""
Both runs share the customers of each replication (common random numbers): a replication
with a busy Monday is busy under both policies, so that variation cancels in the difference
but inflates an unpaired comparison. Pairing helps most (largest ratios, printed) for the
metrics driven by the shared arrivals that the policy changes little; where the policy itself
adds noise (the loaded chat queue), the gain is smaller. Where one policy's value is fixed —
"call us" dissatisfies every secure journey by definition (see F3), the secure chat forces
no switch — there is no shared variation to cancel, and pairing costs a little (a ratio
below 1: fewer degrees of freedom). The paired intervals are what make a 5-replication
comparison conclusive.
""")

md("""
**Exercise F2.** The shipped defaults assume that more customers click a link (0.9) than pick
up the phone (0.6). Compare "call us" at 0.6 with the secure chat at 0.9. Which verdict
changes: resolution or dissatisfaction?
""")

student("""
# Your turn: the secure chat's follow rate against "call us" at 0.6 (same customers).
FOLLOW_CHAT = 0.9  # change me (try 0.6, 0.75, 0.9)
chat = api.run(*SECURE, "escalation=to_secure_chat", f"escalation.follow={FOLLOW_CHAT}")
paired_table(runs_f["to_phone"], chat).rename(
    columns={"baseline": "to_phone 0.6", "other": f"to_secure_chat {FOLLOW_CHAT:g}"}).round(3)
""")

solution("""
chat09 = api.run(*SECURE, "escalation=to_secure_chat", "escalation.follow=0.9")
shipped = paired_table(runs_f["to_phone"], chat09)
for label, table in (("equal follow 0.6", part_f), ("shipped defaults (chat 0.9)", shipped)):
    for metric in ("secure journeys resolved", "secure journeys dissatisfied"):
        r = table.loc[metric]
        verdict = ("secure chat higher" if r["ci_low"] > 0
                   else "secure chat lower" if r["ci_high"] < 0 else "no significant difference")
        print(f"{label:28s} {metric:30s} diff {r['diff']:+.3f} "
              f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]: {verdict}")
""")

answer("""
Read the printed verdicts. At equal compliance the comparison isolates the channel: the
secure chat spares the forced switch (less dissatisfaction) but, with chat staffed only
for its own traffic, the escalated chats wait and many are abandoned. Whether it resolves
more *depends on the compliance assumption*: the resolution verdict can flip with `follow`
while the dissatisfaction verdict holds. A recommendation must say which assumption it
rests on, and a study should cross the policies with that assumption (as
`experiments/secure_chat/study.yaml` does).
""")

md("""
**Exercise F3.** The default study counts every forced switch as dissatisfying
(`scenario.dissatisfaction.forced_switch=1.0`, ASSUMED). With only half of the customers
minding (0.5), how much of the dissatisfaction gap remains?
""")

student("""
# Your turn: how much a forced switch dissatisfies (both policies at follow 0.6).
WEIGHT = 0.5  # change me (try 0, 0.25, 0.5)
# The secure chat forces no switch, so the weight cannot change its run: only "call us" is re-run.
phone = api.run(*SECURE, "escalation=to_phone", f"escalation.follow={FOLLOW}",
                f"scenario.dissatisfaction.forced_switch={WEIGHT}")
paired_table(phone, runs_f["to_secure_chat"]).loc[
    ["secure journeys dissatisfied", "contacts dissatisfied", "secure journeys resolved"]].round(3)
""")

solution("""
# The secure chat forces no switch, so the weight cannot change its run: only "call us" is re-run.
phone_half = api.run(*SECURE, "escalation=to_phone", f"escalation.follow={FOLLOW}",
                     "scenario.dissatisfaction.forced_switch=0.5")
half_f = paired_table(phone_half, runs_f["to_secure_chat"])
for metric in ("secure journeys dissatisfied", "secure journeys resolved"):
    print(f"{metric}: difference {part_f.loc[metric, 'diff']:+.3f} with weight 1.0, "
          f"{half_f.loc[metric, 'diff']:+.3f} [{half_f.loc[metric, 'ci_low']:+.3f}, "
          f"{half_f.loc[metric, 'ci_high']:+.3f}] with weight 0.5")
""")

answer("""
The dissatisfaction gap shrinks with the weight (printed) — much of it is the assumption that
every forced switch dissatisfies — while resolution does not change (the weight only scores
contacts, it does not change what happens to them). Conclusions that rest on ASSUMED weights
should be reported with the weight varied.
""")

# ---------------------------------------------------------------------------------------
md("""
## Wrap-up

- The simulation reproduces the formulas where they hold (M/M/c, M/M/c+M), with honest
  intervals; beyond them (pile-ons, escalations, shift tables) it is the only tool.
- Waits are convex in load: the first agent above the load is worth the most, and pooling
  and square-root staffing are two faces of the same economy of scale.
- Abandonment changes the answer: Erlang C is pessimistic about waits and blind to callers
  who give up.
- In social care, speed buys fewer pile-ons and less exposure with sharply diminishing
  returns; policy comparisons are paired on the same customers and must state their
  assumptions.

For longer, more precise runs of parts A–C: `experiments/teaching_lab/README.md`; of parts E
and F: `experiments/pileon_response/README.md` and `experiments/secure_chat/README.md`.
""")

code("""
print(f"lab run in {time.perf_counter() - START:.0f} s")
""")


# =========================================================================================
def notebook(audiences: tuple[Audience, ...]) -> nbformat.NotebookNode:
    """The notebook holding the cells of ``audiences``, without outputs.

    Cell ids are ``cell-<position>``: stable, so rebuilding changes only what was edited.
    """
    nb = nbformat.v4.new_notebook(metadata=METADATA)
    for i, cell in enumerate(c for c in CELLS if c.audience in audiences):
        make = nbformat.v4.new_code_cell if cell.kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source=cell.source, id=f"cell-{i}"))
    nbformat.validate(nb)
    return nb


def render(audiences: tuple[Audience, ...]) -> str:
    """The file text of a notebook: nbformat's JSON (sorted keys), ending with a newline."""
    return nbformat.writes(notebook(audiences)) + "\n"


def build(directory: Path = HERE) -> list[Path]:
    """Write both notebooks into ``directory``; returns their paths."""
    paths = []
    for name, audiences in NOTEBOOKS.items():
        path = directory / name
        path.write_text(render(audiences), encoding="utf-8")
        paths.append(path)
    return paths


def check(directory: Path = HERE) -> list[Path]:
    """The notebooks in ``directory`` that are missing or differ from what build() writes."""
    stale = []
    for name, audiences in NOTEBOOKS.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != render(audiences):
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command line: build, or ``--check`` (exit status 1 when a notebook is stale)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that the committed notebooks are up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = check()
        for path in stale:
            print(f"{path.relative_to(HERE.parent)} is stale: run python notebooks/build.py")
        return 1 if stale else 0
    for path in build():
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
