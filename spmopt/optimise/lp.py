"""The plan-choice programme in PuLP: build, solve, round, report (the only module using pulp).

Variables x[u,j] ∈ [0, 1] weigh candidate j of unit u; ``choose[u]``: Σ_j x[u,j] = 1. The
objective maximises expected profit Σ x·(margin − incentive − base − discount). The constraint
families and their row names are documented in :mod:`spmopt.optimise.constraints`.

Solving (:func:`solve`) has three modes:

``round`` (default)
    Solve the LP relaxation, keep every unit whose weights are already 0/1 (at a vertex of the
    LP all but at most one unit per binding coupling row are), and re-solve the few fractional
    units as a small binary programme with the others fixed. If that restricted problem is
    infeasible, or loses more than ``gap_rel`` (default 1e-4) of the LP bound, solve the full
    binary programme under that gap and the time limit and keep the better answer. Reports the
    LP bound, the objective of the chosen plans and the integrality gap between them.
``relaxation``
    The LP relaxation itself; weights may be fractional (mixtures of candidates).
``milp``
    The full binary programme; needs an explicit ``gap_rel`` and ``time_limit_s``.

Shadow prices always come from the LP relaxation.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "unit": ["east", "east", "west", "west"], "candidate": ["lean", "rich"] * 2,
...     "revenue": [1.0e6, 1.3e6, 0.8e6, 1.0e6], "margin": [5.0e5, 6.5e5, 4.0e5, 5.0e5],
...     "incentive_cost": [5e4, 1.5e5, 4e4, 1.2e5], "base_cost": [1e5] * 4,
...     "discount_cost": [0.0] * 4, "certainty_equivalent": [1.5e5] * 4,
...     "outside_option": [1.2e5] * 4, "p_quota": [0.5, 0.6, 0.5, 0.6], "reps": [1] * 4,
...     "quota": [1e6] * 4, "attrition": [0.1] * 4})
>>> result = solve(frame, Constraints(budget=4.1e5))
>>> result.choice[["unit", "candidate"]].to_dict("records")
[{'unit': 'east', 'candidate': 'rich'}, {'unit': 'west', 'candidate': 'lean'}]
>>> round(result.objective), round(result.lp_bound), round(result.shadow_price("budget"), 3)
(660000, 665000, 0.25)
>>> result.fractional_units
('west',)
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pulp

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.constraints import (
    Auxiliary,
    Constraints,
    Row,
    build_rows,
    optimal_auxiliary,
    parameter_sensitivity,
    row_activity,
    row_violation,
    totals,
)
from spmopt.optimise.responses import ResponseTable

MODES = ("round", "relaxation", "milp")
# weights within this of 0 or 1 count as integral
INTEGRALITY_TOLERANCE = 1e-6
# restricted binary programme over the fractional units: defaults when the caller gives none
ROUNDING_GAP_REL = 1e-6
# relative gap to the LP bound accepted from rounding before the full binary programme is solved
DEFAULT_GAP_REL = 1e-4
ROUNDING_TIME_LIMIT_S = 60.0
# a binary answer within this share of a proven bound counts as proven optimal (solvers accept
# violations of about 1e-7, so closer than that is not meaningful)
PROOF_TOLERANCE = 1e-7
# above this many variables HiGHS's interior point (with crossover to a vertex) beats simplex
IPM_THRESHOLD_VARIABLES = 5_000

_SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


# ---------------------------------------------------------------------------------------------
# Solvers


class _BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface, handing the model over in two bulk calls.

    ``pulp.HiGHS`` adds columns and rows one Python call at a time (100,000 ``addCol`` calls at
    10,000 reps × 10 candidates); this gathers them into arrays and calls ``addCols`` and
    ``addRows`` once each, with the same column and row order, so PuLP reads the solution back
    unchanged. Any failure falls back to PuLP's own hand-over.
    """

    def buildSolverModel(self, lp):
        try:
            self._bulk(lp)
        except Exception:  # pragma: no cover - defensive: PuLP internals may change
            self.createAndConfigureSolver(lp)
            super().buildSolverModel(lp)

    def _bulk(self, lp):
        import highspy

        infinity = highspy.kHighsInf
        variables = lp.variables()
        n = len(variables)
        for position, variable in enumerate(variables):
            variable.index = position
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective
        cost = sign * np.fromiter((objective.get(v, 0.0) for v in variables), float, n)
        lower = np.fromiter(
            (-infinity if v.lowBound is None else v.lowBound for v in variables), float, n
        )
        upper = np.fromiter(
            (infinity if v.upBound is None else v.upBound for v in variables), float, n
        )
        model = lp.solverModel
        none = np.empty(0, np.int32)
        model.addCols(n, cost, lower, upper, 0, none, none, np.empty(0))
        if self.mip:
            integer = np.fromiter(
                (i for i, v in enumerate(variables) if v.cat == pulp.LpInteger), np.int32
            )
            if integer.size:
                kinds = np.full(integer.size, int(highspy.HighsVarType.kInteger), np.uint8)
                model.changeColsIntegrality(integer.size, integer, kinds)
        constraints = list(lp._constraints.values())
        m = len(constraints)
        starts = np.empty(m, np.int32)
        row_lower, row_upper = np.empty(m), np.empty(m)
        columns: list[int] = []
        values: list[float] = []
        for position, constraint in enumerate(constraints):
            constraint.index = position
            starts[position] = len(columns)
            items = [(v.index, a) for v, a in constraint.items() if a != 0]
            columns.extend(i for i, _ in items)
            values.extend(a for _, a in items)
            low, high = constraint.getLb(), constraint.getUb()
            row_lower[position] = -infinity if low is None else low
            row_upper[position] = infinity if high is None else high
        model.addRows(
            m,
            row_lower,
            row_upper,
            len(columns),
            starts,
            np.array(columns, np.int32),
            np.array(values, float),
        )


@dataclass(frozen=True)
class Solver:
    """Which LP/MILP backend solves the programme.

    Parameters
    ----------
    name:
        ``"highs"`` (HiGHS through highspy, the default) or ``"cbc"`` (COIN-OR CBC: a ``cbc`` on
        the PATH, else the one bundled with PuLP).
    lp_method:
        HiGHS's LP algorithm: ``"auto"`` (interior point with crossover above
        :data:`IPM_THRESHOLD_VARIABLES` variables, else dual simplex), ``"simplex"``, ``"ipm"``
        or ``"choose"`` (HiGHS decides). Ignored by CBC.
    threads:
        Solver threads (None = the solver's default).
    msg:
        Show the solver's log.
    bulk_handover:
        Hand the PuLP model to HiGHS in two array calls instead of one call per column and
        row (same model, faster); False uses PuLP's own ``pulp.HiGHS`` unchanged.

    Examples
    --------
    >>> Solver("highs").available()
    True
    """

    name: str = "highs"
    lp_method: str = "auto"
    threads: int | None = None
    msg: bool = False
    bulk_handover: bool = True

    def __post_init__(self):
        if self.name not in ("highs", "cbc"):
            raise SpmoptInputError(f"solver: expected 'highs' or 'cbc', got {self.name!r}")
        if self.lp_method not in ("auto", "simplex", "ipm", "choose"):
            raise SpmoptInputError(
                f"solver.lp_method: expected auto, simplex, ipm or choose, got {self.lp_method!r}"
            )

    def available(self) -> bool:
        """Whether this backend can run here."""
        try:
            return bool(self._backend(mip=False).available())
        except pulp.PulpSolverError:
            return False

    def _backend(
        self,
        *,
        mip: bool,
        gap_rel: float | None = None,
        time_limit_s: float | None = None,
        method: str | None = None,
    ) -> pulp.LpSolver:
        if self.name == "highs":
            options = {}
            if method is not None:
                options["solver"] = method
                if method == "ipm":
                    options["run_crossover"] = "on"
            return (_BulkHiGHS if self.bulk_handover else pulp.HiGHS)(
                mip=mip,
                msg=self.msg,
                gapRel=gap_rel,
                timeLimit=time_limit_s,
                threads=self.threads,
                **options,
            )
        kwargs = dict(
            mip=mip, msg=self.msg, gapRel=gap_rel, timeLimit=time_limit_s, threads=self.threads
        )
        system = pulp.COIN_CMD(**kwargs)
        if system.available():
            return system
        with warnings.catch_warnings():  # PuLP 3.3 deprecates its bundled CBC for 4.0
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(**kwargs)

    def lp(self, n_variables: int, time_limit_s: float | None = None) -> pulp.LpSolver:
        """The backend configured for an LP of ``n_variables`` variables."""
        method = None
        if self.name == "highs":
            method = self.lp_method
            if method == "auto":
                method = "ipm" if n_variables > IPM_THRESHOLD_VARIABLES else "simplex"
        return self._backend(mip=False, time_limit_s=time_limit_s, method=method)

    def milp(self, gap_rel: float, time_limit_s: float) -> pulp.LpSolver:
        """The backend configured for a binary programme with a relative gap and time limit."""
        return self._backend(mip=True, gap_rel=gap_rel, time_limit_s=time_limit_s)

    def dual_sign(self) -> float:
        """Factor turning the backend's row duals into d(maximised objective)/d(rhs).

        PuLP hands HiGHS the negated objective of a maximisation (HiGHS minimises), so HiGHS's
        duals are those of the minimisation; CBC receives the sense and reports duals of the
        maximisation.
        """
        return -1.0 if self.name == "highs" else 1.0

    def describe(self, method: str | None = None) -> str:
        """``HiGHS (ipm)`` or ``CBC``."""
        if self.name == "cbc":
            return "CBC"
        return f"HiGHS ({method})" if method else "HiGHS"


def as_solver(solver: str | Solver) -> Solver:
    """``solver`` as a :class:`Solver` (a name gives the default settings)."""
    if isinstance(solver, Solver):
        return solver
    if isinstance(solver, str):
        return Solver(solver.lower())
    raise SpmoptInputError(f"solver: expected 'highs', 'cbc' or a Solver, got {solver!r}")


# ---------------------------------------------------------------------------------------------
# Building


@dataclass(frozen=True, eq=False)
class ModelIndex:
    """Where everything of a built model is, by stable name.

    Attributes
    ----------
    table, constraints:
        What the model was built from.
    x:
        The decision variable of each response-table row (None where the row was fixed).
    rows:
        PuLP constraint by stable row name (``budget``, ``participation[smb]``, ``choose[east]``).
    specs:
        The numeric definition (:class:`~spmopt.optimise.constraints.Row`) of each family row.
    auxiliary:
        Auxiliary variables by name (``eta``, ``z[3]``, ``pay_max``, ``pay_min``).
    integer:
        Whether x is binary.
    fixed:
        Per row, the fixed weight (NaN where x is a variable), or None when nothing is fixed.
    """

    table: ResponseTable
    constraints: Constraints
    x: tuple[pulp.LpVariable | None, ...]
    rows: Mapping[str, pulp.LpConstraint]
    specs: Mapping[str, Row]
    auxiliary: Mapping[str, pulp.LpVariable]
    integer: bool
    fixed: np.ndarray | None = None
    slacks: Mapping[str, tuple[pulp.LpVariable, ...]] = field(default_factory=dict)

    def weights(self) -> np.ndarray:
        """Current values of x per response row (fixed rows at their fixed value)."""
        values = np.array(
            [np.nan if v is None or v.varValue is None else v.varValue for v in self.x]
        )
        if self.fixed is not None:
            values = np.where(np.isnan(self.fixed), values, self.fixed)
        return values


class BuiltModel(NamedTuple):
    """A PuLP problem and its index (unpacks as ``problem, index``)."""

    problem: pulp.LpProblem
    index: ModelIndex


def _safe(labels: list[str], prefix: str) -> list[str]:
    """LP-file-safe, unique names ``prefix_label`` (falling back to ``prefix_<position>``)."""
    names = [f"{prefix}_{_UNSAFE.sub('_', label)}"[:80] for label in labels]
    if len(set(names)) != len(names):
        names = [f"{prefix}_{position}" for position in range(len(labels))]
    return names


def _variable_names(table: ResponseTable) -> list[str]:
    units = [str(u) for u in table.units]
    labels = [
        f"{units[code]}__{candidate}"
        for code, candidate in zip(
            table.unit_codes.tolist(), table.candidates.tolist(), strict=True
        )
    ]
    return _safe(labels, "x")


def build_model(
    responses: pd.DataFrame | ResponseTable,
    constraints: Constraints | None = None,
    *,
    samples: pd.DataFrame | None = None,
    integer: bool = False,
) -> BuiltModel:
    """The plan-choice programme for a response table, as a PuLP problem and its index.

    A pure function of its inputs: maximise Σ x·profit subject to ``choose[u]`` (Σ_j x[u,j] = 1)
    and the families in ``constraints`` (see :mod:`spmopt.optimise.constraints`). Expressions
    are built directly as ``LpAffineExpression`` term lists, which is several times faster than
    summing products with ``lpSum``.

    Parameters
    ----------
    responses:
        Response table (validated here) or a :class:`ResponseTable`.
    constraints:
        Constraint families (None = only the one-candidate rows).
    samples:
        Per-scenario comp costs, needed for a CVaR constraint.
    integer:
        Binary x (one plan per unit) instead of x ∈ [0, 1].

    Returns
    -------
    BuiltModel
        ``(problem, index)``; ``index.rows["budget"]`` is the budget row, ``index.x[i]`` the
        variable of response row i.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"unit": ["a", "a"], "candidate": ["p", "q"], "revenue": [2.0, 3.0],
    ...     "margin": [2.0, 3.0], "incentive_cost": [0.5, 1.0], "base_cost": [0.0, 0.0],
    ...     "discount_cost": [0.0, 0.0], "certainty_equivalent": [1.0, 1.0],
    ...     "outside_option": [0.0, 0.0], "p_quota": [0.5, 0.5], "reps": [1, 1],
    ...     "quota": [2.0, 2.0], "attrition": [0.0, 0.0]})
    >>> problem, index = build_model(frame, Constraints(budget=0.8))
    >>> sorted(index.rows)
    ['budget', 'choose[a]']
    """
    table = ResponseTable.coerce(responses, samples)
    constraints = Constraints() if constraints is None else constraints
    rows, auxiliary = build_rows(table, constraints)
    built = assemble(table, constraints, rows, auxiliary, integer=integer)
    assert built is not None  # nothing fixed, so no row can be trivially violated
    return built


def _terms(
    variables: list, index: np.ndarray, coef: np.ndarray, every_row: bool
) -> list[tuple[pulp.LpVariable, float]]:
    """(variable, coefficient) pairs of the rows ``index`` with a variable and a non-zero
    coefficient. ``every_row``: ``index`` is all rows in order and none is fixed (fast path)."""
    nonzero = coef != 0.0
    if not nonzero.all():
        index, coef = index[nonzero], coef[nonzero]
    elif every_row and index.size == len(variables):
        return list(zip(variables, coef.tolist(), strict=True))
    pairs = zip([variables[i] for i in index.tolist()], coef.tolist(), strict=True)
    if every_row:
        return list(pairs)
    return [(v, c) for v, c in pairs if v is not None]


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while a model is built or handed to the solver.

    Building creates hundreds of thousands of small objects that live as long as the model, so
    the collector's full passes re-scan them again and again for nothing (several-fold slower
    builds at 10,000 reps × 10 candidates).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def assemble(*args, **kwargs) -> BuiltModel | None:
    """:func:`_assemble_model` with the garbage collector paused."""
    with _gc_paused():
        return _assemble_model(*args, **kwargs)


def _assemble_model(
    table: ResponseTable,
    constraints: Constraints,
    rows: list[Row],
    auxiliary: list[Auxiliary],
    *,
    integer: bool,
    fixed: np.ndarray | None = None,
    objective: bool = True,
    elastic: Mapping[str, float] | None = None,
) -> BuiltModel | None:
    """Turn numeric rows into a PuLP problem.

    ``fixed`` holds per response row a fixed weight or NaN for a variable: fixed rows become
    constants (rows left with no variable are checked and dropped; None is returned if such a
    row is violated). ``elastic`` maps row names to penalty weights: those rows get a
    non-negative slack variable ``slack_<row>`` on their violated side, and the objective becomes
    minimising the weighted slacks.
    """
    n_rows = len(table)
    problem = pulp.LpProblem("spmopt_plan_choice", pulp.LpMaximize)
    names = _variable_names(table)
    category = pulp.LpBinary if integer else pulp.LpContinuous
    free = np.ones(n_rows, bool) if fixed is None else np.isnan(fixed)
    constant = np.zeros(n_rows) if fixed is None else np.where(free, 0.0, fixed)
    add = problem.add_variable
    # x ≤ 1 follows from Σ_j x[u,j] = 1 and x ≥ 0; leaving it out of the LP keeps the duals of
    # the choose rows unique (a redundant active bound would make them degenerate)
    upper = 1 if integer else None
    if free.all():
        variables = [add(name, 0, upper, category) for name in names]
    else:
        variables = [
            add(name, 0, upper, category) if f else None
            for name, f in zip(names, free, strict=True)
        ]
    aux_variables = {a.name: add(_UNSAFE.sub("_", a.name), a.low, a.high) for a in auxiliary}

    profit = table.profit
    if elastic:
        goal = pulp.LpAffineExpression()
    elif objective:
        goal = pulp.LpAffineExpression(
            _terms(variables, np.arange(n_rows), profit, fixed is None),
            constant=float(profit @ constant),
        )
    else:
        goal = pulp.LpAffineExpression()
    lp_rows: dict[str, pulp.LpConstraint] = {}
    specs: dict[str, Row] = {}
    used_names: set[str] = set()
    slacks: dict[str, tuple[pulp.LpVariable, ...]] = {}

    def add_row(name: str, expression: pulp.LpAffineExpression, sense: str, rhs: float) -> None:
        lp_name = _UNSAFE.sub("_", name.replace("]", ""))
        while lp_name in used_names:
            lp_name += "_"
        used_names.add(lp_name)
        row = pulp.LpConstraint(expression, _SENSES[sense], lp_name, rhs)
        problem.addConstraint(row)
        lp_rows[name] = row

    labels = [str(u) for u in table.units]
    starts = table.starts.tolist()
    for u, label in enumerate(labels):
        start, stop = starts[u], starts[u + 1]
        if not free[start:stop].any():
            continue
        expression = pulp.LpAffineExpression(
            [(v, 1.0) for v in variables[start:stop] if v is not None]
        )
        add_row(f"choose[{label}]", expression, "==", 1.0 - float(constant[start:stop].sum()))

    for spec in rows:
        terms = _terms(variables, spec.index, spec.coef, fixed is None)
        offset = float(spec.coef @ constant[spec.index]) if fixed is not None else 0.0
        terms.extend((aux_variables[name], coef) for name, coef in spec.aux)
        if not terms:
            if row_violation(spec, offset) > 1e-9 * max(1.0, abs(spec.rhs)):
                return None
            continue
        expression = pulp.LpAffineExpression(terms)
        if elastic and spec.name in elastic:
            position = len(slacks)
            directions = {"<=": (-1.0,), ">=": (1.0,), "==": (-1.0, 1.0)}[spec.sense]
            slacks[spec.name] = tuple(
                add(f"slack_{position}_{k}", 0, None) for k in range(len(directions))
            )
            for slack, direction in zip(slacks[spec.name], directions, strict=True):
                expression.addterm(slack, direction)
                goal.addterm(slack, -elastic[spec.name])
        add_row(spec.name, expression, spec.sense, spec.rhs - offset)
        specs[spec.name] = spec
    problem.setObjective(goal)
    problem.objective.name = "slack_penalty" if elastic else "profit"
    index = ModelIndex(
        table=table,
        constraints=constraints,
        x=tuple(variables),
        rows=lp_rows,
        specs=specs,
        auxiliary=aux_variables,
        integer=integer,
        fixed=fixed,
        slacks=slacks,
    )
    return BuiltModel(problem, index)


# ---------------------------------------------------------------------------------------------
# Running a solver


@dataclass(frozen=True, eq=False)
class _Run:
    status: str  # optimal | feasible | infeasible | unbounded | not_solved
    x: np.ndarray | None
    auxiliary: dict[str, float]
    duals: dict[str, float]
    objective: float
    seconds: float
    method: str
    engine_seconds: float = math.nan  # the solver's own run time (HiGHS only)
    # upper bound on the maximised profit that the solver proved (a binary programme solved by
    # HiGHS: its dual bound); NaN when the solver proved none we can read (CBC)
    bound: float = math.nan


@contextlib.contextmanager
def _native_output_silenced(silence: bool):
    """Send the process's native standard output to /dev/null (HiGHS prints its banner from C
    once per process whatever ``msg`` says); Python's ``sys.stdout`` is untouched."""
    if not silence:
        yield
        return
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real file descriptor 1 (embedded interpreters)
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def solve_built(built: BuiltModel, backend: pulp.LpSolver, solver: Solver, method: str) -> _Run:
    problem, index = built
    start = time.perf_counter()
    try:
        with _gc_paused(), _native_output_silenced(not solver.msg):
            problem.solve(backend)
    except pulp.PulpSolverError as error:
        raise SpmoptNoSolutionError(f"the solver failed: {error}") from error
    seconds = time.perf_counter() - start
    engine_seconds = math.nan
    if solver.name == "highs" and getattr(problem, "solverModel", None) is not None:
        engine_seconds = float(problem.solverModel.getRunTime())
    code, solution = problem.status, problem.sol_status
    if code == pulp.LpStatusOptimal and solution in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    ):
        status = "optimal" if solution == pulp.LpSolutionOptimal else "feasible"
    elif code == pulp.LpStatusInfeasible or solution == pulp.LpSolutionInfeasible:
        status = "infeasible"
    elif code == pulp.LpStatusUnbounded or solution == pulp.LpSolutionUnbounded:
        status = "unbounded"
    elif code == pulp.LpStatusUndefined and solver.name == "cbc" and index.integer:
        status = "infeasible"  # CBC reports an infeasible binary programme as undefined
    else:
        status = "not_solved"
    if status not in ("optimal", "feasible"):
        return _Run(status, None, {}, {}, math.nan, seconds, method, engine_seconds)
    x = index.weights()
    x = np.clip(np.nan_to_num(x), 0.0, 1.0)
    auxiliary = {
        name: (v.varValue if v.varValue is not None else math.nan)
        for name, v in index.auxiliary.items()
    }
    sign = solver.dual_sign()
    duals = {}
    if not index.integer:
        for name, row in index.rows.items():
            duals[name] = math.nan if row.pi is None else sign * float(row.pi) + 0.0
    objective = float(index.table.profit @ x)
    bound = _binary_bound(problem, solver) if index.integer else math.nan
    return _Run(status, x, auxiliary, duals, objective, seconds, method, engine_seconds, bound)


def _binary_bound(problem: pulp.LpProblem, solver: Solver) -> float:
    """HiGHS's proven upper bound on the maximised objective of a binary programme (its MIP dual
    bound, sign-corrected: PuLP hands HiGHS the negated objective), or NaN."""
    model = getattr(problem, "solverModel", None)
    if solver.name != "highs" or model is None:
        return math.nan
    try:
        import highspy

        dual_bound = float(model.getInfo().mip_dual_bound)
        minimise = model.getObjectiveSense()[1] == highspy.ObjSense.kMinimize
    except Exception:  # pragma: no cover - defensive: highspy internals may change
        return math.nan
    if not math.isfinite(dual_bound):
        return math.nan
    return -dual_bound if minimise else dual_bound


# ---------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True, eq=False)
class Solution:
    """The chosen candidate per unit, with the LP bound, shadow prices and timings.

    Attributes
    ----------
    status:
        ``optimal`` when proven (the LP relaxation in ``relaxation`` mode; a binary answer that
        reaches the LP bound or the binary solver's own proven bound), ``within_gap`` when a
        bound proves the answer at most ``gap_rel`` below the best possible but not optimal
        (rounding accepted within the gap; a binary programme stopped at its gap), ``feasible``
        otherwise (time limit; a solver claim that cannot be checked, e.g. CBC's "optimal").
        See :func:`proven_status` and :attr:`status_text`.
    mode:
        The requested mode: ``round``, ``relaxation`` or ``milp``.
    method:
        What was done, e.g. ``LP relaxation (HiGHS (ipm)); 1 fractional unit re-solved as a
        binary programme``.
    objective:
        Expected profit of the returned weights [currency/yr].
    lp_bound:
        Optimum of the LP relaxation: no choice of candidates can beat it [currency/yr].
    integrality_gap:
        ``lp_bound − objective`` (≥ 0) [currency/yr]; see :attr:`relative_gap`.
    choice:
        One row per unit: ``unit, candidate`` (the largest weight), ``weight``, ``fractional``
        and the chosen row's response values plus ``profit`` and ``comp_cost``.
    weights:
        x per (unit, candidate): columns ``unit, candidate, weight``.
    shadow_prices:
        By constraint name, the change in the LP optimum per unit of the constraint's parameter
        (per currency of ``budget``; per unit of the ``cos_ceiling`` ratio; …), from the LP
        relaxation. Family rows only; ``choose[u]`` rows are omitted.
    constraint_report:
        Per constraint row: ``constraint, family, sense, rhs, activity, slack, binding, dual,
        shadow_price``; activity and slack at the returned weights, duals from the LP;
        ``binding`` when the row has no slack there or a non-zero dual in the LP.
    totals:
        Company totals at the returned weights (see
        :func:`spmopt.optimise.constraints.totals`).
    fractional_units:
        Units whose LP-relaxation weights were fractional.
    auxiliary:
        Auxiliary variable values from the solve that produced the weights (η, z_s, π_max …).
    solver:
        Backend description.
    build_seconds, solve_seconds:
        Wall time spent building PuLP models and in solver calls (PuLP's hand-over included).
    timings:
        The same split by phase (``build_lp``, ``solve_lp``, ``build_milp``, ``solve_milp``),
        and ``solver_engine_lp``, HiGHS's own run time for the LP (the rest of ``solve_lp`` is
        PuLP handing the model over and reading the solution back).
    bound:
        The tightest proven upper bound on the expected profit of any one-plan-per-unit
        choice [currency/yr]: the LP bound, or the binary solver's bound when tighter (HiGHS).
    gap_rel:
        The relative gap the binary answer was allowed (None in ``relaxation`` mode or when
        the LP optimum was already integral).
    """

    status: str
    mode: str
    method: str
    objective: float
    lp_bound: float
    integrality_gap: float
    choice: pd.DataFrame
    weights: pd.DataFrame
    shadow_prices: pd.Series
    constraint_report: pd.DataFrame
    totals: Mapping[str, float]
    fractional_units: tuple[object, ...]
    auxiliary: Mapping[str, float]
    solver: str
    build_seconds: float
    solve_seconds: float
    timings: Mapping[str, float]
    index: ModelIndex = field(repr=False)
    bound: float = math.nan
    gap_rel: float | None = None

    @property
    def status_text(self) -> str:
        """The status with its proof, in words (what the command line prints)."""
        if self.status == "optimal":
            if self.mode == "relaxation":
                return "optimal (LP relaxation; weights may be fractional)"
            return "optimal (proven: it reaches an upper bound on every one-plan-per-unit choice)"
        missing = self.bound - self.objective
        share = missing / abs(self.bound) if self.bound else 0.0
        if self.status == "within_gap":
            return (
                f"within gap, not proven optimal: at most {missing:,.0f} ({share:.2g} of the "
                f"bound {self.bound:,.0f}) below the best choice; allowed gap {self.gap_rel:g}"
            )
        if self.status == "feasible" and math.isfinite(missing):
            return (
                f"feasible, not proven optimal: at most {missing:,.0f} ({share:.2g} of the "
                f"bound {self.bound:,.0f}) below the best choice"
            )
        return self.status

    @property
    def relative_gap(self) -> float:
        """Integrality gap as a share of the LP bound (0 when the bound is 0)."""
        scale = abs(self.lp_bound)
        return self.integrality_gap / scale if scale > 0 else 0.0

    @property
    def lp_cvar(self) -> float | None:
        """η + Σ_s z_s / ((1 − α)·S) at the solver's values, or None without a CVaR row."""
        cvar = self.index.constraints.cvar
        if cvar is None or "eta" not in self.auxiliary:
            return None
        z = [value for name, value in self.auxiliary.items() if name.startswith("z[")]
        return self.auxiliary["eta"] + sum(z) / ((1.0 - cvar.alpha) * len(z))

    def shadow_price(self, constraint: str) -> float:
        """Shadow price of one named constraint (see :attr:`shadow_prices`)."""
        if constraint not in self.shadow_prices.index:
            raise KeyError(
                f"no constraint {constraint!r}; the model has "
                f"{', '.join(self.shadow_prices.index[:20])}"
            )
        return float(self.shadow_prices[constraint])

    def write_lp(self, path: str | Path, integer: bool | None = None) -> Path:
        """Write the programme in CPLEX LP format (PuLP's ``writeLP``) for inspection.

        ``integer`` declares x binary; by default it is binary unless the mode is
        ``relaxation``. Returns the path written.
        """
        integer = self.mode != "relaxation" if integer is None else integer
        problem, _ = build_model(self.index.table, self.index.constraints, integer=integer)
        path = Path(path)
        problem.writeLP(str(path))
        return path

    def summary(self) -> str:
        """A few readable lines: mode, objective, bound, gap, priced constraints, timings."""
        lines = [
            f"status {self.status_text}; {self.method}",
            f"expected profit {self.objective:,.0f}; LP bound {self.lp_bound:,.0f}; "
            f"integrality gap {self.integrality_gap:,.2f} ({self.relative_gap:.2e})",
        ]
        report = self.constraint_report
        priced = report[report["dual"].abs() > 1e-12]
        for row in priced.head(10).itertuples():
            lines.append(
                f"  binding {row.constraint}: activity {row.activity:,.4g} vs {row.rhs:,.4g}; "
                f"shadow price {row.shadow_price:,.4g}"
            )
        lines.append(
            f"build {self.build_seconds:.3f} s, solve {self.solve_seconds:.3f} s ({self.solver})"
        )
        return "\n".join(lines)


def _choice_frame(table: ResponseTable, x: np.ndarray) -> pd.DataFrame:
    """One row per unit: the candidate with the largest weight, and its responses."""
    best = np.empty(table.n_units, dtype=np.intp)
    starts = table.starts
    for u in range(table.n_units):
        best[u] = starts[u] + int(np.argmax(x[starts[u] : starts[u + 1]]))
    frame = table.frame.iloc[best].reset_index(drop=True).copy()
    frame.insert(2, "weight", x[best])
    frame.insert(3, "fractional", x[best] < 1.0 - INTEGRALITY_TOLERANCE)
    frame["profit"] = table.profit[best]
    frame["comp_cost"] = table.comp_cost[best]
    return frame


def _participation_duals(
    table: ResponseTable, specs: Mapping[str, Row], duals: Mapping[str, float]
) -> dict[str, float]:
    """Duals of the ``participation[u]`` rows made unique: the best reduced profit of a forbidden
    candidate, priced by every other row's dual (0 if negative).

    Σ_{bad} x ≤ 0 coincides with the bounds x ≥ 0 of the same variables, so any dual at least
    that large is valid and solvers differ; the smallest valid one is what relaxing the row by
    one unit of weight is worth.
    """
    names = [name for name, spec in specs.items() if spec.family == "participation"]
    if not names:
        return dict(duals)
    priced = table.profit.copy()
    for name, spec in specs.items():
        if spec.family == "participation" or not spec.index.size:
            continue
        priced[spec.index] -= duals.get(name, math.nan) * spec.coef
    choose = np.array([duals.get(f"choose[{unit}]", math.nan) for unit in table.units])
    priced -= choose[table.unit_codes]
    out = dict(duals)
    for name in names:
        best = float(priced[specs[name].index].max())
        out[name] = max(0.0, best) if math.isfinite(best) else math.nan
    return out


def _report(
    table: ResponseTable,
    constraints: Constraints,
    specs: Mapping[str, Row],
    x: np.ndarray,
    duals: Mapping[str, float],
    lp_x: np.ndarray,
) -> tuple[pd.DataFrame, pd.Series]:
    """The constraint report and shadow prices.

    Activity and slack are those of the returned weights ``x``; shadow prices are derivatives
    of the LP optimum, so each dual is converted to a price per unit of its parameter at the LP
    relaxation's solution ``lp_x`` (and its auxiliary values), not at the rounded choice.
    """
    aux = optimal_auxiliary(table, constraints, x)
    lp_aux = optimal_auxiliary(table, constraints, lp_x)
    records = []
    for name, spec in specs.items():
        activity = row_activity(spec, x, aux)
        dual = duals.get(name, math.nan)
        slack = (
            spec.rhs - activity
            if spec.sense == "<="
            else activity - spec.rhs
            if spec.sense == ">="
            else 0.0
        )
        tolerance = 1e-7 * max(1.0, abs(spec.rhs), abs(activity))
        shadow = dual * parameter_sensitivity(spec, table, constraints, lp_x, lp_aux)
        records.append(
            {
                "constraint": name,
                "family": spec.family,
                "sense": spec.sense,
                "rhs": spec.rhs,
                "activity": activity,
                "slack": slack,
                "binding": bool(abs(slack) <= tolerance or abs(dual) > 1e-9),
                "dual": dual,
                "shadow_price": shadow + 0.0,
            }
        )
    report = pd.DataFrame.from_records(
        records,
        columns=[
            "constraint",
            "family",
            "sense",
            "rhs",
            "activity",
            "slack",
            "binding",
            "dual",
            "shadow_price",
        ],
    )
    prices = pd.Series(
        report["shadow_price"].to_numpy(),
        index=report["constraint"].to_numpy(),
        name="shadow_price",
    )
    return report, prices


# ---------------------------------------------------------------------------------------------
# Solving


def proven_status(
    objective: float, bounds: tuple[float, ...], gap_rel: float | None
) -> tuple[str, float]:
    """Status of a binary answer from the upper bounds on the binary optimum we hold, and the
    tightest bound.

    ``optimal`` only when a bound proves it: the answer reaches the LP bound, or the solver's
    own bound on the binary programme (HiGHS's MIP dual bound) meets it, within
    :data:`PROOF_TOLERANCE` relative (the solvers' own feasibility tolerance is 1e-7).
    ``within_gap`` when a bound proves it at most ``gap_rel`` (relative to the bound) from the
    best possible: a rounding accepted within the gap, or a binary programme stopped at its gap.
    ``feasible`` otherwise (a time limit, or a solver's claim we cannot check, such as CBC's
    "optimal", which has been seen wrong).

    Examples
    --------
    >>> proven_status(10.0, (10.0, float("nan")), 1e-4)
    ('optimal', 10.0)
    >>> proven_status(9.9995, (10.0, float("nan")), 1e-4)
    ('within_gap', 10.0)
    >>> proven_status(9.0, (10.0, 9.5), 1e-4)
    ('feasible', 9.5)
    """
    bound = min((b for b in bounds if math.isfinite(b)), default=math.nan)
    if not math.isfinite(bound):
        return "feasible", bound
    tolerance = PROOF_TOLERANCE * max(1.0, abs(bound))
    if objective >= bound - tolerance:
        return "optimal", bound
    if gap_rel is not None and bound - objective <= gap_rel * abs(bound) + tolerance:
        return "within_gap", bound
    return "feasible", bound


def _fractional_units(table: ResponseTable, x: np.ndarray) -> np.ndarray:
    """Positions of units whose largest weight is below 1 (beyond the tolerance)."""
    largest = np.maximum.reduceat(x, table.starts[:-1])
    return np.flatnonzero(largest < 1.0 - INTEGRALITY_TOLERANCE)


def _snap(table: ResponseTable, x: np.ndarray) -> np.ndarray:
    """0/1 weights picking each unit's largest weight."""
    snapped = np.zeros_like(x)
    for u in range(table.n_units):
        start = table.starts[u]
        snapped[start + int(np.argmax(x[start : table.starts[u + 1]]))] = 1.0
    return snapped


def _no_solution(
    run: _Run,
    table: ResponseTable,
    constraints: Constraints,
    solver: Solver,
    *,
    integer: bool,
    diagnose: bool,
    what: str,
) -> SpmoptNoSolutionError:
    from spmopt.optimise.diagnose import diagnose_infeasibility

    if run.status == "unbounded":
        return SpmoptNoSolutionError(
            f"the {what} is unbounded; check the response table for unbounded profit"
        )
    if run.status == "not_solved":
        return SpmoptNoSolutionError(
            f"the solver stopped before finding a feasible point of the {what} (time limit?); "
            "raise time_limit_s or use mode='round'"
        )
    if not diagnose:
        families = ", ".join(constraints.families()) or "none"
        return SpmoptNoSolutionError(f"the {what} is infeasible (constraints: {families})")
    diagnosis = diagnose_infeasibility(table, constraints, solver=solver, integer=integer)
    error = SpmoptNoSolutionError(diagnosis.message)
    error.diagnosis = diagnosis
    return error


def _round(
    table: ResponseTable,
    constraints: Constraints,
    rows: list[Row],
    auxiliary: list[Auxiliary],
    lp_run: _Run,
    fractional: np.ndarray,
    solver: Solver,
    gap_rel: float | None,
    time_limit_s: float | None,
    timings: dict[str, float],
    diagnose: bool,
) -> tuple[_Run, str, float]:
    """One candidate per unit from a fractional LP optimum.

    Returns the run, what was done and the upper bound on the binary optimum proven by the full
    binary programme's solver (NaN if it was not solved or proves none: then only the LP bound
    holds; the restricted re-solve's own bound says nothing about the full programme).

    1. Fix every unit the LP already decided, and solve the binary programme over the
       fractional units only (a handful: at most one per binding coupling row at a vertex).
    2. If that is infeasible, or loses more than ``gap_rel`` (default
       :data:`DEFAULT_GAP_REL`) of the LP bound, solve the full binary programme with that gap
       and the time limit, and keep the better of the two.
    """
    target = DEFAULT_GAP_REL if gap_rel is None else gap_rel
    limit = ROUNDING_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    bound = lp_run.objective
    count = f"{fractional.size} fractional unit{'s' if fractional.size != 1 else ''}"
    fixed = _snap(table, lp_run.x)
    fixed[np.isin(table.unit_codes, fractional)] = np.nan
    start = time.perf_counter()
    restricted = assemble(table, constraints, rows, auxiliary, integer=True, fixed=fixed)
    timings["build_milp"] = time.perf_counter() - start
    rounded = None
    if restricted is not None:
        run = solve_built(
            restricted,
            solver.milp(min(ROUNDING_GAP_REL, target), limit),
            solver,
            solver.describe(),
        )
        timings["solve_milp"] = run.seconds
        if run.status in ("optimal", "feasible"):
            rounded = run
    tolerance = target * abs(bound) + 1e-9 * (1.0 + abs(bound))
    if rounded is not None and bound - rounded.objective <= tolerance:
        detail = f"; {count} re-solved as a binary programme with the others fixed"
        return rounded, detail, math.nan
    run = _full_binary(table, constraints, rows, auxiliary, solver, target, limit, timings)
    found = run.status in ("optimal", "feasible")
    if rounded is None and not found:
        raise _no_binary_solution(run, table, constraints, solver, diagnose)
    why = (
        "whose re-solve with the others fixed was infeasible"
        if rounded is None
        else f"whose re-solve with the others fixed lost more than {target:g} of the bound"
    )
    bound = run.bound if found else math.nan
    if found and (rounded is None or run.objective > rounded.objective):
        detail = f"; {count}, {why}: full binary programme (gap {target:g}) solved instead"
        return run, detail, bound
    detail = f"; {count}, {why}; the full binary programme found nothing better"
    return rounded, detail, bound


def _full_binary(table, constraints, rows, auxiliary, solver, gap_rel, time_limit_s, timings):
    """Build and solve the full binary programme (one candidate per unit) with the relative gap
    and time limit [s], adding its build and solve seconds to ``timings``."""
    start = time.perf_counter()
    full = assemble(table, constraints, rows, auxiliary, integer=True)
    timings["build_milp"] = timings.get("build_milp", 0.0) + time.perf_counter() - start
    run = solve_built(full, solver.milp(gap_rel, time_limit_s), solver, solver.describe())
    timings["solve_milp"] = timings.get("solve_milp", 0.0) + run.seconds
    return run


def _no_binary_solution(run, table, constraints, solver, diagnose):
    """The error for a binary programme that found no solution."""
    return _no_solution(
        run,
        table,
        constraints,
        solver,
        integer=True,
        diagnose=diagnose,
        what="binary programme (one candidate per unit)",
    )


def solve(
    responses: pd.DataFrame | ResponseTable,
    constraints: Constraints | None = None,
    *,
    samples: pd.DataFrame | None = None,
    mode: str = "round",
    solver: str | Solver = "highs",
    gap_rel: float | None = None,
    time_limit_s: float | None = None,
    diagnose: bool = True,
) -> Solution:
    """Choose one candidate per unit maximising expected profit under ``constraints``.

    Parameters
    ----------
    responses:
        The response table (see :mod:`spmopt.optimise.responses`) or a :class:`ResponseTable`.
    constraints:
        The constraint families (None = none beyond one candidate per unit).
    samples:
        Per-scenario comp costs (needed for ``cvar``).
    mode:
        ``round`` (LP relaxation, then a binary re-solve of the fractional units),
        ``relaxation`` (the LP relaxation, weights may be fractional) or ``milp`` (the full
        binary programme; needs ``gap_rel`` and ``time_limit_s``).
    solver:
        ``"highs"`` (default), ``"cbc"`` or a :class:`Solver`.
    gap_rel:
        Relative optimality gap for binary solves (default 1e-6 for the rounding re-solve).
    time_limit_s:
        Time limit per solver call [s] (default 60 s for binary solves, none for the LP).
    diagnose:
        On infeasibility, find which named constraint families conflict and how far each would
        have to move (a few extra LP solves).

    Returns
    -------
    Solution

    Raises
    ------
    SpmoptInputError
        Bad response table, samples, constraints or options.
    SpmoptNoSolutionError
        Infeasible or unbounded programme; the message names the conflicting constraints and
        what would relax them.
    """
    if mode not in MODES:
        raise SpmoptInputError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if mode == "milp" and (gap_rel is None or time_limit_s is None):
        raise SpmoptInputError(
            "mode 'milp' needs an explicit gap_rel and time_limit_s (a binary programme over "
            "every unit can run for minutes); or use mode='round'"
        )
    for key, value in (("gap_rel", gap_rel), ("time_limit_s", time_limit_s)):
        if value is not None and not (isinstance(value, int | float) and value >= 0):
            raise SpmoptInputError(f"{key}: expected a number >= 0, got {value!r}")
    solver = as_solver(solver)
    table = ResponseTable.coerce(responses, samples)
    constraints = Constraints() if constraints is None else constraints
    timings: dict[str, float] = {}

    start = time.perf_counter()
    rows, auxiliary = build_rows(table, constraints)
    relaxation = assemble(table, constraints, rows, auxiliary, integer=False)
    timings["build_lp"] = time.perf_counter() - start
    n_variables = len(table) + len(auxiliary)
    backend = solver.lp(n_variables, time_limit_s)
    lp_method = (backend.optionsDict or {}).get("solver") if solver.name == "highs" else None
    lp_run = solve_built(relaxation, backend, solver, solver.describe(lp_method))
    timings["solve_lp"] = lp_run.seconds
    if not math.isnan(lp_run.engine_seconds):
        timings["solver_engine_lp"] = lp_run.engine_seconds
    if lp_run.status not in ("optimal", "feasible"):
        raise _no_solution(
            lp_run,
            table,
            constraints,
            solver,
            integer=False,
            diagnose=diagnose,
            what="LP relaxation",
        )
    lp_bound = float(lp_run.objective)
    final = lp_run
    fractional = _fractional_units(table, lp_run.x)
    method = f"LP relaxation ({lp_run.method})"

    solver_bound, gap = math.nan, None
    if mode == "round" and fractional.size:
        gap = DEFAULT_GAP_REL if gap_rel is None else gap_rel
        final, detail, solver_bound = _round(
            table,
            constraints,
            rows,
            auxiliary,
            lp_run,
            fractional,
            solver,
            gap_rel,
            time_limit_s,
            timings,
            diagnose,
        )
        method += detail
    elif mode == "round":
        method += "; integral at the optimum, no rounding needed"
    elif mode == "milp":
        run = _full_binary(
            table, constraints, rows, auxiliary, solver, gap_rel, time_limit_s, timings
        )
        if run.status not in ("optimal", "feasible"):
            raise _no_binary_solution(run, table, constraints, solver, diagnose)
        final = run
        solver_bound, gap = run.bound, gap_rel
        method = f"binary programme ({run.method}, gap {gap_rel:g}, limit {time_limit_s:g} s)"

    x = final.x if mode == "relaxation" else _snap(table, final.x)
    objective = float(table.profit @ x)
    duals = _participation_duals(table, relaxation.index.specs, lp_run.duals)
    report, prices = _report(table, constraints, relaxation.index.specs, x, duals, lp_run.x)
    alpha = constraints.cvar.alpha if constraints.cvar is not None else None
    weights = table.frame[["unit", "candidate"]].copy()
    weights["weight"] = x
    build_seconds = timings.get("build_lp", 0.0) + timings.get("build_milp", 0.0)
    solve_seconds = timings.get("solve_lp", 0.0) + timings.get("solve_milp", 0.0)
    if lp_run.status != "optimal":
        status, bound = lp_run.status, math.nan
    elif mode == "relaxation" or (mode == "round" and not fractional.size):
        # the LP optimum itself, or an integral one: the LP proves it
        status, bound = "optimal", lp_bound
    else:
        status, bound = proven_status(objective, (lp_bound, solver_bound), gap)
    return Solution(
        status=status,
        bound=bound,
        gap_rel=gap,
        mode=mode,
        method=method,
        objective=objective,
        lp_bound=lp_bound,
        integrality_gap=max(lp_bound - objective, 0.0),
        choice=_choice_frame(table, x),
        weights=weights,
        shadow_prices=prices,
        constraint_report=report,
        totals=totals(table, x, alpha),
        fractional_units=tuple(table.units[u] for u in fractional),
        auxiliary=final.auxiliary,
        solver=final.method,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        timings=timings,
        index=relaxation.index,
    )
