"""A roster's integer programme, built a variable and a row at a time, and its two solvers.

:meth:`Program.search` finds a roster with OR-Tools CP-SAT (one worker, a deterministic
time budget and a fixed seed: the same roster on every run and machine, whatever the load);
:meth:`Program.relaxation` solves the LP relaxation with HiGHS (SciPy), the lower bound the
gap is reported against. Why two: on these programmes CP-SAT finds markedly cheaper rosters
than HiGHS in the same time, while HiGHS's LP gives a tight bound in a fraction of a second
(benchmarks/README.md, *Rosters*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

__all__ = ["Program", "Search"]

#: Objective coefficients are scaled to integers for CP-SAT (hundredths of a cost unit).
_SCALE = 100


@dataclass(frozen=True)
class Search:
    """What CP-SAT found: the values (None if nothing), whether proven optimal, its bound."""

    value: np.ndarray | None
    optimal: bool
    bound: float
    status: str


class Program:
    """Minimise ``cost @ x`` subject to ``lower <= A x <= upper``, ``x >= 0``, integer
    where ``integer``."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.integer: list[bool] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.entries: tuple[list[int], list[int], list[float]] = ([], [], [])

    def var(self, cost: float, integer: bool = True) -> int:
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.lower) - 1

    def add(self, row: int, var: int, value: float) -> None:
        rows, cols, vals = self.entries
        rows.append(row)
        cols.append(var)
        vals.append(value)

    def cumulative(self, terms: list[int]) -> list[int]:
        """Continuous variables S[k] = terms[0] + ... + terms[k]."""
        out: list[int] = []
        for k, term in enumerate(terms):
            s = self.var(0.0, integer=False)
            row = self.row(0.0, 0.0)
            self.add(row, s, 1.0)
            self.add(row, term, -1.0)
            if k:
                self.add(row, out[-1], -1.0)
            out.append(s)
        return out

    def matrix(self):
        rows, cols, vals = self.entries
        return coo_matrix((vals, (rows, cols)), shape=(len(self.lower), len(self.cost))).tocsr()

    def relaxation(self) -> float | None:
        """The LP relaxation's optimum (HiGHS), None if infeasible."""
        res = milp(np.asarray(self.cost), integrality=np.zeros(len(self.cost)),
                   constraints=LinearConstraint(self.matrix(), self.lower, self.upper),
                   bounds=Bounds(0, np.inf))
        return float(res.fun) if res.x is not None else None

    def search(self, budget: float, gap: float, top: int, seed: int = 1) -> Search:
        """A solution by CP-SAT within ``budget`` deterministic seconds per attempt,
        stopping once proven within relative ``gap``; every variable bounded by ``top``
        (all must be integer).

        One worker searches first (on these programmes it finds the cheapest rosters). If
        it finds none within the budget (a flat, symmetric requirement can take it long),
        a first roster comes from HiGHS's root node (the MILP with a node limit of 1), or
        failing that from CP-SAT's portfolio of strategies interleaved in one thread, and
        the single worker starts again from it. Every step is deterministic (work limits,
        not wall-clock ones): the same roster on every run.
        """
        from ortools.sat.python import cp_model  # noqa: PLC0415 - only when solving

        if not all(self.integer):
            raise ValueError("CP-SAT needs every variable integer")
        a = self.matrix()
        model = cp_model.CpModel()
        xs = [model.NewIntVar(0, top, f"x{i}") for i in range(len(self.cost))]
        for r in range(a.shape[0]):
            lo, hi = a.indptr[r], a.indptr[r + 1]
            expr = cp_model.LinearExpr.WeightedSum([xs[j] for j in a.indices[lo:hi]],
                                                   [int(v) for v in a.data[lo:hi]])
            if np.isfinite(self.lower[r]):
                model.Add(expr >= int(round(self.lower[r])))
            if np.isfinite(self.upper[r]):
                model.Add(expr <= int(round(self.upper[r])))
        model.Minimize(cp_model.LinearExpr.WeightedSum(
            xs, [int(round(c * _SCALE)) for c in self.cost]))

        def solve(workers: int) -> tuple[int, cp_model.CpSolver]:
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = workers
            solver.parameters.interleave_search = workers > 1
            solver.parameters.random_seed = seed
            solver.parameters.max_deterministic_time = budget
            solver.parameters.relative_gap_limit = gap
            return solver.Solve(model), solver

        found = (cp_model.OPTIMAL, cp_model.FEASIBLE)
        status, solver = solve(1)
        if status in found:
            value = np.array([solver.Value(x) for x in xs], int)
            return Search(value, status == cp_model.OPTIMAL,
                          solver.BestObjectiveBound() / _SCALE, solver.StatusName(status))
        if status == cp_model.INFEASIBLE:
            return Search(None, False, 0.0, solver.StatusName(status))
        start = self._root_roster()
        if start is None:
            status, solver = solve(8)
            if status not in found:
                return Search(None, False, 0.0, solver.StatusName(status))
            start = np.array([solver.Value(x) for x in xs], int)
        for x, v in zip(xs, start.tolist()):
            model.AddHint(x, v)
        status, solver = solve(1)
        if status in found:
            value = np.array([solver.Value(x) for x in xs], int)
            if float(np.asarray(self.cost) @ value) <= float(np.asarray(self.cost) @ start):
                start = value
        return Search(start, False, 0.0, "FEASIBLE")

    def _root_roster(self) -> np.ndarray | None:
        """An integer solution from HiGHS's root node (node limit 1: deterministic)."""
        res = milp(np.asarray(self.cost), integrality=np.asarray(self.integer, float),
                   constraints=LinearConstraint(self.matrix(), self.lower, self.upper),
                   bounds=Bounds(0, np.inf), options={"node_limit": 1})
        return None if res.x is None else np.round(res.x).astype(int)
