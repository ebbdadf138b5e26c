"""What a roster run leaves: ``roster.csv``, ``coverage.csv``, ``rounds.csv``, the terminal
summary and the cost of the shift rules (pure functions of a :class:`~sim.roster.plan.Plan`)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from ..optimize.blocks import DAYS, clock
from ..optimize.output import _pct
from .plan import Plan
from .rules import MIN_PER_DAY
from .solve import open_slots

__all__ = ["coverage_table", "cost_table", "format_plan", "markdown", "roster_table",
           "rounds_table"]

def _clock(slot: int, g: float) -> str:
    """``'HH:MM'`` of a slot of the week."""
    return clock(slot * g % MIN_PER_DAY)


def roster_table(plan: Plan) -> pd.DataFrame:
    """``roster.csv``: one row per shift, ``shift_id, pool, agent, type, day, start, end,
    breaks, paid_hours`` (times HH:MM; a shift ending after midnight ends the next day)."""
    g = plan.rules.granularity_min
    per_day = round(MIN_PER_DAY / g)
    rows = []
    for pool, roster in plan.rosters.items():
        for s in roster.shifts:
            length = round(s.kind.length_min / g)
            breaks = "; ".join(f"{_clock(b, g)}-{_clock(b + round(k.length_min / g), g)}"
                               for b, k in zip(s.breaks, s.kind.breaks))
            rows.append({"pool": pool, "agent": f"{pool}-{s.agent + 1}", "type": s.kind.name,
                         "day": DAYS[s.start // per_day], "start": _clock(s.start, g),
                         "end": _clock(s.start + length, g), "breaks": breaks,
                         "paid_hours": s.kind.paid_min / 60.0})
    table = pd.DataFrame(rows, columns=["pool", "agent", "type", "day", "start", "end",
                                        "breaks", "paid_hours"])
    table.insert(0, "shift_id", np.arange(1, len(table) + 1))
    return table


def coverage_table(plan: Plan) -> pd.DataFrame:
    """``coverage.csv``: per pool and slot of the week (``interval``, 0 = Monday 00:00, of
    the roster's granularity), agents ``required`` (by the staffing policy), ``rostered``
    (on shift) and ``on_floor`` (on shift, not on a break)."""
    g = plan.rules.granularity_min
    per_day = round(MIN_PER_DAY / g)
    frames = []
    for pool, r in plan.rosters.items():
        n = len(r.on_floor)
        frames.append(pd.DataFrame({
            "pool": pool, "interval": np.arange(n),
            "start": [f"{DAYS[t // per_day]} {_clock(t, g)}" for t in range(n)],
            "required": plan.requirement[pool], "rostered": r.rostered,
            "on_floor": r.on_floor}))
    return pd.concat(frames, ignore_index=True)


def cost_table(plan: Plan) -> pd.DataFrame:
    """The cost of the shift rules per pool: requirement hours (the staffing policy's agents
    on the floor within opening hours; outside them: ``closed_hours``), hours added after
    simulation, hours on the floor, paid hours of the roster, paid per required hour,
    agents, shifts, the solver's status, gap and time."""
    g = plan.rules.granularity_min / 60.0
    rows = []
    for pool, r in plan.rosters.items():
        is_open = open_slots(plan.rules, pool)
        given = plan.requirement[pool]
        required = float(given[is_open].sum()) * g
        paid = r.paid_hours
        rows.append({"pool": pool, "required_hours": required,
                     "closed_hours": float(given[~is_open].sum()) * g,
                     "added_hours": float((r.required - given)[is_open].sum()) * g,
                     "on_floor_hours": float(r.on_floor.sum()) * g, "paid_hours": paid,
                     "paid_per_required": paid / required if required else np.nan,
                     "agents": len({s.agent for s in r.shifts}), "shifts": len(r.shifts),
                     "status": r.status, "gap": r.gap, "solve_s": r.seconds})
    return pd.DataFrame(rows)


def rounds_table(plan: Plan) -> pd.DataFrame:
    """``rounds.csv``: each round's paid hours, cost, blocks missing the goal and times."""
    return pd.DataFrame([{**{k: v for k, v in asdict(r).items() if k != "misses"},
                          "misses": len(r.misses)} for r in plan.rounds])


def format_plan(plan: Plan) -> str:
    """The terminal summary: cost of the rules per pool, then whether the goal holds."""
    costs = cost_table(plan)
    lines = ["pool        required h  paid h  paid/required  agents  solver"]
    for r in costs.itertuples():
        lines.append(f"{r.pool:<11} {r.required_hours:>10,.1f} {r.paid_hours:>7,.1f} "
                     f"{r.paid_per_required:>14.2f} {r.agents:>7}  {r.status}"
                     f"{'' if r.status == 'optimal' and r.gap < 1e-9 else f', gap {r.gap:.1%}'}")
    total_req, total_paid = costs["required_hours"].sum(), costs["paid_hours"].sum()
    lines.append(f"{'all':<11} {total_req:>10,.1f} {total_paid:>7,.1f} "
                 f"{total_paid / total_req if total_req else float('nan'):>14.2f} "
                 f"{int(costs['agents'].sum()):>7}")
    last = plan.rounds[-1]
    if last.misses:
        worst = sorted(last.misses, key=lambda m: m[2])[:3]
        lines.append(f"\nGoal {plan.goal:.0%} within target still missed in "
                     f"{len(last.misses)} channel-blocks after {len(plan.rounds) - 1} "
                     "added round(s), e.g. " + ", ".join(
                         f"{c} {plan.blocks.label(b)} ({_pct(m)}%)" for c, b, m in worst))
    else:
        lines.append(f"\nSimulated: every channel meets {plan.goal:.0%} within target in "
                     f"every {plan.blocks.block_min / 60:g}-h block of the week"
                     f" ({len(plan.rounds) - 1} round(s) of added coverage).")
    return "\n".join(lines)


def markdown(table: pd.DataFrame) -> str:
    """``table`` as a Markdown table (numbers right-aligned, floats with thousands
    separators and two decimals), for READMEs written from a script's output."""
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}"
        return str(v)

    head = [str(c) for c in table.columns]
    numeric = [pd.api.types.is_numeric_dtype(table[c]) for c in table.columns]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in table.itertuples(index=False)]
    return "\n".join(lines)
