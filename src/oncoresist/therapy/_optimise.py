"""Search a strategy family's parameters under a cumulative-dose budget."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core.atomic import atomic_output_dir
from oncoresist._core.exceptions import InputError
from oncoresist._core.provenance import Provenance
from oncoresist._core.rng import as_generator
from oncoresist.therapy._compare import Settings, compare

_OBJECTIVES = ("median_ttp", "p_eradication")


@dataclass
class Optimisation:
    """Every candidate evaluated, the best one within the budget, and the benefit–dose frontier.

    Attributes
    ----------
    candidates
        One row per parameter set: the parameters, median_ttp (and CI), p_eradication (and SE),
        mean_dose_total, feasible (within the budget), on_frontier.
    best
        Parameters of the best feasible candidate (None if none is feasible).
    objective, budget
        What was maximised and the dose budget (mean cumulative dose per patient).
    """

    candidates: pd.DataFrame
    best: dict[str, Any] | None
    objective: str
    budget: float | None
    seed: int | None = None
    parameters: dict = field(default_factory=dict)

    @property
    def frontier(self) -> pd.DataFrame:
        """Candidates no other beats on both benefit and dose, by increasing dose."""
        return self.candidates[self.candidates["on_frontier"]].sort_values("mean_dose_total").reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The candidate table."""
        return self.candidates.copy()

    def write(self, path: str | Path, *, provenance: Provenance | None = None) -> Path:
        """Write candidates.tsv, frontier.tsv, best.json (with provenance) and frontier figures."""
        prov = provenance or Provenance.create("oncoresist.therapy.optimise", parameters=self.parameters,
                                               seed=self.seed)
        options = {"sep": "\t", "index": False, "lineterminator": "\n", "float_format": "%.10g"}
        with atomic_output_dir(path) as tmp:
            self.candidates.to_csv(tmp / "candidates.tsv", **options)
            self.frontier.to_csv(tmp / "frontier.tsv", **options)
            payload = {"best": self.best, "objective": self.objective, "budget": self.budget,
                       "provenance": prov.to_dict()}
            (tmp / "best.json").write_text(json.dumps(payload, indent=2, sort_keys=True, default=float) + "\n")
            import matplotlib

            matplotlib.use("Agg", force=True)
            import matplotlib.pyplot as plt

            plt.rcParams["svg.hashsalt"] = "oncoresist"
            fig, ax = plt.subplots(figsize=(6, 4))
            c = self.candidates
            ax.scatter(c["mean_dose_total"], c[self.objective], s=14, color="grey", label="candidates")
            f = self.frontier
            ax.plot(f["mean_dose_total"], f[self.objective], "o-", color="tab:red", label="frontier")
            if self.budget is not None:
                ax.axvline(self.budget, ls="--", color="black", label="budget")
            ax.set_xlabel("mean cumulative dose per patient")
            ax.set_ylabel(self.objective)
            ax.legend(frameon=False)
            fig.tight_layout()
            fig.savefig(tmp / "frontier.png", dpi=110, metadata={"Software": None})
            fig.savefig(tmp / "frontier.svg", metadata={"Date": None})
            plt.close(fig)
        return Path(path)


def _pareto(benefit: np.ndarray, dose: np.ndarray) -> np.ndarray:
    keep = np.ones(len(benefit), dtype=bool)
    for i in range(len(benefit)):
        better = (benefit >= benefit[i]) & (dose <= dose[i]) & ((benefit > benefit[i]) | (dose < dose[i]))
        keep[i] = not better.any()
    return keep


def optimise(
    model: Any,
    family: Callable[..., Any],
    space: Mapping[str, Sequence[Any] | tuple[float, float]],
    *,
    settings: Settings | None = None,
    n_patients: int = 50,
    rng: int | None = None,
    budget: float | None = None,
    objective: str = "median_ttp",
    search: str = "grid",
    samples: int = 20,
    workers: int | None = 1,
) -> Optimisation:
    """Search a strategy family for the best median time to progression or eradication probability.

    Every candidate is evaluated on the same virtual patients (common random numbers), so
    candidates differ only by their parameters; the same seed gives the same table.

    Parameters
    ----------
    model
        The model (as for :func:`compare`).
    family
        ``family(**params) -> Strategy`` (e.g. ``lambda on, off: Intermittent({"a": 1}, on, off)``,
        or a strategy class).
    space
        Parameter -> list of values (grid) or ``(low, high)`` (random search, uniform).
    settings, n_patients, rng, workers
        As for :func:`compare`.
    budget
        Largest mean cumulative dose per patient (all drugs); None: no budget.
    objective
        ``"median_ttp"`` or ``"p_eradication"``.
    search
        ``"grid"`` (every combination of the listed values) or ``"random"`` (``samples`` draws).
    samples
        Number of random candidates.

    Returns
    -------
    Optimisation

    Examples
    --------
    >>> from oncoresist.evolve import CellType, DrugResponse, Drug, Model, StopRules
    >>> from oncoresist.therapy import Continuous, Imaging, Monitoring
    >>> m = Model(types=(CellType("S", 0.1, 0.05, (DrugResponse("a", "death", 0.1),)),),
    ...           drugs=(Drug("a"),), initial={"S": 10})
    >>> s = Settings(stop=StopRules(detection_size=1e4, time_limit=1000),
    ...              monitoring=Monitoring(Imaging(interval=28, threshold=1e3)))
    >>> o = optimise(m, lambda level: Continuous("a", level), {"level": [0.5, 1.0]}, settings=s,
    ...              n_patients=3, rng=1, objective="p_eradication")
    >>> o.best["level"]   # both levels eradicate every patient: the lower dose wins
    0.5
    """
    if objective not in _OBJECTIVES:
        msg = f"objective must be one of {', '.join(_OBJECTIVES)}; got {objective!r}"
        raise InputError(msg, field="objective")
    if not space:
        msg = "the search space is empty; give at least one parameter"
        raise InputError(msg, field="space")
    names = list(space)
    if search == "grid":
        for k, v in space.items():
            if isinstance(v, str) or not isinstance(v, Sequence) or len(v) == 0:
                msg = f"grid values of {k!r} must be a non-empty list; got {v!r}"
                raise InputError(msg, field=f"space.{k}")
        points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(space[k] for k in names))]
    elif search == "random":
        gen = as_generator(rng)
        points = []
        for _ in range(int(samples)):
            point = {}
            for k in names:
                v = space[k]
                if not (isinstance(v, tuple) and len(v) == 2 and v[0] < v[1]):
                    msg = f"random search needs (low, high) with low < high for {k!r}; got {v!r}"
                    raise InputError(msg, field=f"space.{k}")
                point[k] = float(gen.uniform(v[0], v[1]))
            points.append(point)
    else:
        msg = f"search must be 'grid' or 'random'; got {search!r}"
        raise InputError(msg, field="search")
    rows = []
    for point in points:
        try:
            strategy = family(**point)
        except InputError as exc:
            msg = f"parameters {point} give no valid strategy: {exc.message}"
            raise InputError(msg, field="space") from None
        result = compare(model, {"candidate": strategy}, settings, n_patients=n_patients, rng=rng, workers=workers,
                         keep_traces=0)
        out = result.outcomes.iloc[0]
        rows.append({**point, "median_ttp": float(out["median_ttp"]), "median_ttp_ci_low": float(out["median_ttp_ci_low"]),
                     "median_ttp_ci_high": float(out["median_ttp_ci_high"]),
                     "p_eradication": float(out["p_eradication"]), "p_eradication_se": float(out["p_eradication_se"]),
                     "mean_dose_total": float(out["mean_dose_total"])})
    table = pd.DataFrame(rows)
    table["feasible"] = True if budget is None else table["mean_dose_total"] <= float(budget) + 1e-12
    table["on_frontier"] = _pareto(table[objective].to_numpy(float), table["mean_dose_total"].to_numpy(float))
    feasible = table[table["feasible"]]
    best = None
    if len(feasible):
        ranked = feasible.sort_values([objective, "mean_dose_total"], ascending=[False, True], kind="mergesort")
        best = {k: (v.item() if hasattr(v, "item") else v) for k, v in ranked.iloc[0][names].to_dict().items()}
        best = {k: (float(v) if isinstance(v, float) and math.isfinite(v) else v) for k, v in best.items()}
    seed = int(rng) if isinstance(rng, int) and not isinstance(rng, bool) else None
    return Optimisation(candidates=table, best=best, objective=objective, budget=budget, seed=seed,
                        parameters={"space": {k: list(v) for k, v in space.items()}, "search": search,
                                    "n_patients": n_patients, "budget": budget, "objective": objective})
