"""Reference models and synergy scores: HSA, Bliss, Loewe, ZIP (any number of drugs for HSA,
Bliss and ZIP; pairs for Loewe) and MuSyC parameters for pairs.

Scores follow SynergyFinder's sign convention on % inhibition: synergy = observed - expected,
positive means synergy, negative antagonism. The block score is the mean over the wells where
every drug is present.

References
----------
HSA: Gaddum's highest single agent (Berenbaum 1989). Bliss: Bliss 1939. Loewe: Loewe 1953,
solved from the fitted single-drug curves. ZIP: Yadav et al. 2015, Comput Struct Biotechnol J
13:504-513. MuSyC: Meyer et al. 2019, Cell Syst 8:97-108; Wooten et al. 2021, Nat Commun 12:4607.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize, stats

from oncoresist._core import InputError
from oncoresist.synergy._fit import CurveFit, fit_curves, fit_problems
from oncoresist.synergy._io import Block
from oncoresist.synergy._kernels import _inverse_ratio, hill4, loewe_expected

MODELS = ("hsa", "bliss", "loewe", "zip")
PAIR_ONLY = ("loewe",)


def check_models(models) -> tuple[str, ...]:
    """Normalise a model list (names or a comma-separated string)."""
    if isinstance(models, str):
        models = [m for m in models.split(",") if m.strip()]
    names = tuple(dict.fromkeys(m.strip().lower() for m in models))
    unknown = [m for m in names if m not in MODELS]
    if unknown or not names:
        msg = f"unknown synergy model(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(MODELS)}"
        raise InputError(msg, field="models")
    return names


@dataclass
class BlockScores:
    """Scores of one block: per-well table, per-model block scores and the single-drug fits."""

    block_id: str
    drugs: tuple[str, ...]
    conc_unit: str
    wells: dict[str, np.ndarray]
    scores: dict[str, float]
    fits: list[CurveFit]
    notes: list[str] = field(default_factory=list)


def _mono_lookup(keys: np.ndarray, mean: np.ndarray, i: int) -> dict[float, float]:
    others = np.delete(keys, i, axis=1)
    mono = (others == 0).all(axis=1)
    return {float(k): float(v) for k, v in zip(keys[mono, i], mean[mono], strict=True)}


def _mono_data(block: Block, i: int) -> tuple[np.ndarray, np.ndarray]:
    others = np.delete(block.doses, i, axis=1)
    mono = (others == 0).all(axis=1) & np.isfinite(block.response)
    return block.doses[mono, i], block.response[mono]


def _predict(fit: CurveFit, dose: np.ndarray) -> np.ndarray:
    if not fit.usable:
        return np.full(np.shape(dose), np.nan)
    return fit.predict(dose)


def score_blocks(blocks: list[Block], models=MODELS) -> list[BlockScores]:
    """Score many blocks; the curve fits of all of them run as one batch."""
    models = check_models(models)
    need_fits = any(m in ("loewe", "zip") for m in models)
    fits_all: list[list[CurveFit]] = [[] for _ in blocks]
    if need_fits:
        items, owners = [], []
        for b, block in enumerate(blocks):
            for i, drug in enumerate(block.drugs):
                dose, resp = _mono_data(block, i)
                items.append((drug, dose, resp))
                owners.append(b)
        for b, fit in zip(owners, fit_curves(items), strict=True):
            fits_all[b].append(fit)
    prepared = []
    zip_problems, zip_index = [], []
    for b, block in enumerate(blocks):
        keys, mean, count, _ = block.wells()
        combo = (keys > 0).all(axis=1)
        state = {"keys": keys, "mean": mean, "count": count, "combo": combo}
        if "zip" in models:
            _zip_collect(block, keys, mean, combo, fits_all[b], zip_problems, zip_index, b)
        prepared.append(state)
    zip_fitted: dict[tuple[int, int, int], float] = {}
    if zip_problems:
        params, _, _ = fit_problems(zip_problems, hills=(1.0,))
        owner, where, dose = [], [], []
        for n, (b, wells_on_line, i) in enumerate(zip_index):
            for w in wells_on_line:
                owner.append(n)
                where.append((b, int(w), i))
                dose.append(prepared[b]["keys"][w, i])
        values = hill4(np.array(dose)[:, None], params[np.array(owner)])[:, 0]
        zip_fitted = dict(zip(where, values.tolist(), strict=True))
    if "loewe" in models:
        _loewe_batch(blocks, prepared, fits_all)
    return [
        _assemble(block, prepared[b], fits_all[b], models, zip_fitted, b)
        for b, block in enumerate(blocks)
    ]


def _rising(fits) -> bool:
    return len(fits) == 2 and all(f.status in ("ok", "fallback") and f.emax > f.e0 for f in fits)


def _loewe_batch(blocks, prepared, fits_all) -> None:
    """Solve the Loewe equation for the wells of all pair blocks at once."""
    chosen = [b for b, block in enumerate(blocks) if block.n_drugs == 2 and _rising(fits_all[b])]
    for b in range(len(blocks)):
        n = len(prepared[b]["keys"])
        prepared[b]["loewe"] = (np.full(n, np.nan), np.zeros(n, bool))
    if not chosen:
        return
    keys = [prepared[b]["keys"] for b in chosen]
    sizes = [len(k) for k in keys]
    x = np.concatenate(keys)
    p1 = np.repeat(np.array([fits_all[b][0].params for b in chosen]), sizes, axis=0)
    p2 = np.repeat(np.array([fits_all[b][1].params for b in chosen]), sizes, axis=0)
    y, solved = loewe_expected(x[:, 0], x[:, 1], p1, p2)
    for b, part_y, part_s in zip(chosen, np.split(y, np.cumsum(sizes)[:-1]), np.split(solved, np.cumsum(sizes)[:-1]), strict=True):
        prepared[b]["loewe"] = (part_y, part_s)


def _zip_collect(block, keys, mean, combo, fits, problems, index, b):
    """One problem per line of wells varying one drug with the others fixed (ZIP)."""
    if len(fits) != block.n_drugs or not all(f.usable for f in fits):
        return
    k = block.n_drugs
    fitted = [_predict(fits[i], keys[:, i]) for i in range(k)]
    for i in range(k):
        others = [j for j in range(k) if j != i]
        _, line_of = np.unique(keys[:, others], axis=0, return_inverse=True)
        line_of = line_of.reshape(-1)
        for line in np.unique(line_of[combo]):
            members = np.flatnonzero(line_of == line)
            dose = keys[members, i]
            resp = mean[members]
            ok = np.isfinite(resp)
            if (dose[ok] > 0).sum() < 3:
                continue
            # The line starts, at drug i absent, from the null (Bliss) expectation of the other
            # drugs' fitted curves; for pairs this is the other drug's fitted response (ZIP).
            w = members[0]
            start = 100.0 * (1.0 - np.prod([1.0 - fitted[j][w] / 100.0 for j in others]))
            problems.append((dose[ok], resp[ok], float(start)))
            index.append((b, members[combo[members]].tolist(), i))


def _assemble(block, state, fits, models, zip_fitted, b) -> BlockScores:
    keys, mean, count, combo = state["keys"], state["mean"], state["count"], state["combo"]
    k = block.n_drugs
    notes: list[str] = []
    table = {f"conc{i + 1}": keys[:, i] for i in range(k)}
    table["response"] = mean
    table["n_replicates"] = count
    mono = []
    for i in range(k):
        lookup = _mono_lookup(keys, mean, i)
        mono.append(np.array([lookup.get(float(x), np.nan) if x > 0 else np.nan for x in keys[:, i]]))
    mono = np.array(mono)  # (k, wells)
    missing = np.isnan(mono[:, combo]).any(axis=0)
    if missing.any() and ("hsa" in models or "bliss" in models):
        notes.append(
            f"block {block.block_id}: {int(missing.sum())} combination wells have no single-drug "
            "well at the same dose of every drug; HSA and Bliss are left NaN there"
        )
    scores: dict[str, float] = {}

    def put(name, reference, extra=None):
        reference = np.where(combo, reference, np.nan)
        synergy = mean - reference
        table[f"{name}_reference"] = reference
        table[f"{name}_synergy"] = synergy
        values = synergy[combo & np.isfinite(synergy)]
        scores[name] = float(values.mean()) if values.size else np.nan
        if extra:
            table.update(extra)

    if "hsa" in models:
        with np.errstate(invalid="ignore"):
            put("hsa", np.max(mono, axis=0))
    if "bliss" in models:
        put("bliss", 100.0 * (1.0 - np.prod(1.0 - mono / 100.0, axis=0)))
    usable = len(fits) == k and all(f.usable for f in fits)
    if fits and not usable:
        failed = [f"{f.drug} ({f.message})" for f in fits if not f.usable]
        notes.append(f"block {block.block_id}: single-drug fit failed for {', '.join(failed)}")
    if "loewe" in models:
        if k != 2:
            notes.append(f"block {block.block_id}: Loewe is computed for pairs only ({k} drugs)")
        else:
            reference, fallback, ci = _loewe(keys, mean, fits, state["loewe"]) if usable else (
                np.full(len(keys), np.nan), np.zeros(len(keys), bool), np.full(len(keys), np.nan)
            )
            if fallback[combo].any():
                notes.append(
                    f"block {block.block_id}: Loewe equation has no solution in "
                    f"{int(fallback[combo].sum())} wells (one drug never reaches the effect); "
                    "the higher fitted single-drug response was used there"
                )
            put("loewe", reference, {"loewe_fallback": np.where(combo, fallback, False), "combination_index": np.where(combo, ci, np.nan)})
    if "zip" in models:
        reference = np.full(len(keys), np.nan)
        predicted = np.full(len(keys), np.nan)
        if usable:
            fitted = np.array([_predict(fits[i], keys[:, i]) for i in range(k)])
            reference = 100.0 * (1.0 - np.prod(1.0 - fitted / 100.0, axis=0))
            for w in np.flatnonzero(combo):
                values = [zip_fitted.get((b, int(w), i), np.nan) for i in range(k)]
                predicted[w] = sum(values) / k  # NaN when a line could not be fitted
            if np.isnan(predicted[combo]).any():
                notes.append(
                    f"block {block.block_id}: ZIP needs, for each well, at least 3 doses of each drug "
                    "with the others fixed (a full grid); some wells were left without a ZIP score"
                )
        reference = np.where(combo, reference, np.nan)
        delta = predicted - reference
        table["zip_reference"] = reference
        table["zip_fitted"] = np.where(combo, predicted, np.nan)
        table["zip_synergy"] = np.where(combo, delta, np.nan)
        values = delta[combo & np.isfinite(delta)]
        scores["zip"] = float(values.mean()) if values.size else np.nan
    wells = {"block_id": np.full(len(keys), block.block_id, dtype=object), **table}
    return BlockScores(block.block_id, block.drugs, block.conc_unit, wells, scores, list(fits), notes)


def _loewe(keys, mean, fits, solution):
    p1, p2 = fits[0].params, fits[1].params
    x1, x2 = keys[:, 0], keys[:, 1]
    y1, y2 = _predict(fits[0], x1), _predict(fits[1], x2)
    rising = _rising(fits)
    y, solved = solution
    with np.errstate(invalid="ignore"):
        fallback_value = np.fmax(y1, y2)
    reference = np.where(solved, y, fallback_value)
    ci = np.full(len(keys), np.nan)
    if rising:
        inside = (mean > max(p1[0], p2[0])) & (mean < min(p1[1], p2[1]))
        with np.errstate(invalid="ignore", divide="ignore"):
            value = x1 * _inverse_ratio(mean, p1) + x2 * _inverse_ratio(mean, p2)
        ci = np.where(inside, value, np.nan)
    return reference, ~solved, ci


def best_window(wells, model: str, size: int = 3) -> dict:
    """The most synergistic size x size window of adjacent doses (pairs), by mean synergy.

    ``wells`` is a table (DataFrame or dict of arrays) with conc1, conc2 and ``<model>_synergy``.
    """
    column = f"{model}_synergy"
    if column not in wells:
        return {}
    c1 = np.asarray(wells["conc1"], dtype=float)
    c2 = np.asarray(wells["conc2"], dtype=float)
    values = np.asarray(wells[column], dtype=float)
    combo = (c1 > 0) & (c2 > 0)
    if not combo.any():
        return {}
    rows, cols = np.unique(c1[combo]), np.unique(c2[combo])
    sums = np.zeros((rows.size, cols.size))
    counts = np.zeros((rows.size, cols.size))
    r_idx, c_idx = np.searchsorted(rows, c1[combo]), np.searchsorted(cols, c2[combo])
    finite = np.isfinite(values[combo])
    np.add.at(sums, (r_idx[finite], c_idx[finite]), values[combo][finite])
    np.add.at(counts, (r_idx[finite], c_idx[finite]), 1)
    with np.errstate(invalid="ignore"):
        grid = np.where(counts > 0, sums / counts, np.nan)
    sr, sc = min(size, rows.size), min(size, cols.size)
    best = None
    for r in range(rows.size - sr + 1):
        for c in range(cols.size - sc + 1):
            window = grid[r : r + sr, c : c + sc]
            if np.isnan(window).all():
                continue
            score = float(np.nanmean(window))
            if best is None or score > best[0]:
                best = (score, r, c)
    if best is None:
        return {}
    score, r, c = best
    return {
        f"{model}_window_score": score,
        f"{model}_window_conc1": f"{rows[r]:g}-{rows[r + sr - 1]:g}",
        f"{model}_window_conc2": f"{cols[c]:g}-{cols[c + sc - 1]:g}",
    }


# --------------------------------------------------------------------------- MuSyC

MUSYC_NAMES = ("e0", "e1", "e2", "e3", "h1", "h2", "c1", "c2", "alpha12", "alpha21", "gamma12", "gamma21")


def musyc_surface(d1, d2, params: dict, *, r1: float = 1.0, r2: float = 1.0) -> np.ndarray:
    """Effect of the MuSyC model (Meyer 2019; Wooten 2021) at doses d1, d2.

    Four states (unaffected, affected by drug 1, by drug 2, by both) with transition rates
    U->A1 ``r1 (d1/c1)**h1``, A1->U ``r1``; U->A2 ``r2 (d2/c2)**h2``, A2->U ``r2``;
    A2->A12 ``(r1 (alpha21 d1 / c1)**h1)**gamma21``, A12->A2 ``r1**gamma21``; A1->A12
    ``(r2 (alpha12 d2 / c2)**h2)**gamma12``, A12->A1 ``r2**gamma12``. The effect is the
    occupancy-weighted mean of e0, e1, e2, e3 at steady state (solved as a 4x4 linear system).
    ``alpha21`` > 1: drug 2 raises the potency of drug 1; ``alpha12`` likewise for drug 2.

    Parameters
    ----------
    d1, d2
        Concentrations (broadcast against each other).
    params
        ``e0, e1, e2, e3, h1, h2, c1, c2, alpha12, alpha21, gamma12, gamma21``.
    r1, r2
        Transition rate scales (only matter when a gamma differs from 1).

    Returns
    -------
    numpy.ndarray
        The effect at each dose pair.

    Examples
    --------
    >>> p = dict(e0=0, e1=100, e2=100, e3=100, h1=1, h2=1, c1=1, c2=1,
    ...          alpha12=1, alpha21=1, gamma12=1, gamma21=1)
    >>> musyc_surface([0, 1, 1], [0, 0, 1], p).round(6).tolist()  # Bliss: 1-(1/2)(1/2)
    [0.0, 50.0, 75.0]
    """
    d1, d2 = np.broadcast_arrays(np.asarray(d1, float), np.asarray(d2, float))
    shape = d1.shape
    d1, d2 = d1.ravel(), d2.ravel()
    p = params
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u_a1 = r1 * (d1 / p["c1"]) ** p["h1"]
        u_a2 = r2 * (d2 / p["c2"]) ** p["h2"]
        a2_a12 = (r1 * (p["alpha21"] * d1 / p["c1"]) ** p["h1"]) ** p["gamma21"]
        a1_a12 = (r2 * (p["alpha12"] * d2 / p["c2"]) ** p["h2"]) ** p["gamma12"]
    back1, back2 = r1, r2
    back12_2, back12_1 = r1 ** p["gamma21"], r2 ** p["gamma12"]
    n = d1.size
    q = np.zeros((n, 4, 4))  # q[:, i, j]: rate from state i to j; states U, A1, A2, A12
    q[:, 0, 1], q[:, 0, 2] = u_a1, u_a2
    q[:, 1, 0], q[:, 1, 3] = back1, a1_a12
    q[:, 2, 0], q[:, 2, 3] = back2, a2_a12
    q[:, 3, 1], q[:, 3, 2] = back12_1, back12_2
    q[:, range(4), range(4)] = -q.sum(axis=2)
    a = np.transpose(q, (0, 2, 1)).copy()  # pi Q = 0  <=>  Q^T pi^T = 0
    a[:, 3, :] = 1.0  # replace one balance equation with sum(pi) = 1
    rhs = np.zeros((n, 4, 1))
    rhs[:, 3, 0] = 1.0
    pi = np.linalg.solve(a, rhs)[..., 0]
    effects = np.array([p["e0"], p["e1"], p["e2"], p["e3"]])
    return (pi @ effects).reshape(shape)


@dataclass(frozen=True)
class MusycFit:
    """MuSyC parameters of a drug pair (responses in % inhibition).

    Attributes
    ----------
    block_id, drugs
        The block and its two drugs.
    e0, e1, e2, e3
        Effect without drug, of drug 1 alone at saturation, of drug 2 alone, of both.
    h1, h2, c1, c2
        Hill slopes and EC50s of the single drugs.
    alpha12, alpha21
        Potency synergy: ``alpha21`` is the fold change of drug 1's potency when drug 2 is
        saturating (> 1 synergistic); ``alpha12`` the same for drug 2.
    gamma12, gamma21
        Cooperativity synergy (> 1 synergistic), in the same orientation.
    beta
        Efficacy synergy ``(e3 - max(e1, e2)) / (max(e1, e2) - e0)``: > 0 when the pair does
        more than the stronger drug at saturation.
    log_se
        Standard errors of the natural logs of alpha12, alpha21, gamma12, gamma21.
    r2
        Goodness of fit.
    converged
        Whether the optimiser reported success.
    at_bound
        Parameters that ended at, or within 1% of the search range of, a fit bound (their
        values and errors are limits, not estimates; log scale for slopes, EC50s, alpha, gamma).
    """

    block_id: str
    drugs: tuple[str, str]
    e0: float
    e1: float
    e2: float
    e3: float
    h1: float
    h2: float
    c1: float
    c2: float
    alpha12: float
    alpha21: float
    gamma12: float
    gamma21: float
    beta: float
    log_se: dict
    r2: float
    converged: bool
    at_bound: tuple[str, ...] = ()

    def params(self) -> dict:
        """The surface parameters as a dict for ``musyc_surface``."""
        return {k: getattr(self, k) for k in MUSYC_NAMES}

    def to_dict(self) -> dict:
        """Flat dict (standard errors as separate keys)."""
        out = asdict(self)
        out["drugs"] = ",".join(self.drugs)
        out["at_bound"] = ";".join(self.at_bound)
        se = out.pop("log_se")
        for key, value in se.items():
            out[f"se_log_{key}"] = value
        return out


def fit_musyc_block(block: Block, *, fit_gamma: bool = True) -> MusycFit:
    """Least-squares MuSyC fit of a pair block (all replicate wells)."""
    if block.n_drugs != 2:
        msg = f"block {block.block_id}: MuSyC is defined for pairs; this block has {block.n_drugs} drugs"
        raise InputError(msg, field="models")
    ok = np.isfinite(block.response)
    d1, d2, y = block.doses[ok, 0], block.doses[ok, 1], block.response[ok]
    fits = fit_curves([(block.drugs[i], *_mono_data(block, i)) for i in range(2)])
    span = max(float(np.ptp(y)), 1.0)
    ylo, yhi = float(y.min()) - 0.5 * span, float(y.max()) + 0.5 * span
    pos1, pos2 = d1[d1 > 0], d2[d2 > 0]
    if pos1.size == 0 or pos2.size == 0:
        msg = f"block {block.block_id}: MuSyC needs positive doses of both drugs"
        raise InputError(msg, field="conc1")

    def guess(fit, pos):
        if fit.status in ("ok", "fallback"):
            return fit.e0, fit.emax, fit.hill, fit.ec50
        return 0.0, float(y.max()), 1.0, float(np.sqrt(pos.min() * pos.max()))

    e01, e1, h1, c1 = guess(fits[0], pos1)
    e02, e2, h2, c2 = guess(fits[1], pos2)
    both = (d1 > 0) & (d2 > 0)
    e3 = float(y[both][np.argmax(d1[both] * d2[both])]) if both.any() else max(e1, e2)
    names = ["e0", "e1", "e2", "e3", "log_h1", "log_h2", "log_c1", "log_c2", "log_alpha12", "log_alpha21"]
    if fit_gamma:
        names += ["log_gamma12", "log_gamma21"]
    lower = [ylo] * 4 + [np.log(0.1)] * 2 + [np.log(pos1.min() / 1e3), np.log(pos2.min() / 1e3)] + [np.log(1e-5)] * 2
    upper = [yhi] * 4 + [np.log(10.0)] * 2 + [np.log(pos1.max() * 1e3), np.log(pos2.max() * 1e3)] + [np.log(1e5)] * 2
    if fit_gamma:
        lower += [np.log(1e-3)] * 2
        upper += [np.log(1e3)] * 2
    lower, upper = np.array(lower), np.array(upper)

    def unpack(q):
        out = {
            "e0": q[0], "e1": q[1], "e2": q[2], "e3": q[3],
            "h1": np.exp(q[4]), "h2": np.exp(q[5]), "c1": np.exp(q[6]), "c2": np.exp(q[7]),
            "alpha12": np.exp(q[8]), "alpha21": np.exp(q[9]), "gamma12": 1.0, "gamma21": 1.0,
        }
        if fit_gamma:
            out["gamma12"], out["gamma21"] = np.exp(q[10]), np.exp(q[11])
        return out

    def residuals(q):
        return musyc_surface(d1, d2, unpack(q)) - y

    base = [0.5 * (e01 + e02), e1, e2, e3, np.log(h1), np.log(h2), np.log(c1), np.log(c2)]
    best = None
    for la in (0.0, np.log(10.0), np.log(0.1)):
        start = np.array(base + [la, la] + ([0.0, 0.0] if fit_gamma else []))
        start = np.clip(start, lower + 1e-9 * (upper - lower), upper - 1e-9 * (upper - lower))
        res = optimize.least_squares(residuals, start, bounds=(lower, upper), method="trf", x_scale="jac", max_nfev=2000)
        if best is None or res.cost < best.cost:
            best = res
    q = best.x
    p = unpack(q)
    resid = best.fun
    dof = y.size - q.size
    se = dict.fromkeys(("alpha12", "alpha21", "gamma12", "gamma21"), np.nan)
    if dof > 0:
        try:
            cov = np.linalg.inv(best.jac.T @ best.jac) * float(resid @ resid) / dof
            diag = np.sqrt(np.clip(np.diag(cov), 0, None))
            se["alpha12"], se["alpha21"] = float(diag[8]), float(diag[9])
            if fit_gamma:
                se["gamma12"], se["gamma21"] = float(diag[10]), float(diag[11])
        except np.linalg.LinAlgError:
            pass
    sst = float(np.sum((y - y.mean()) ** 2))
    span_q = upper - lower
    edge = (q - lower < 1e-2 * span_q) | (upper - q < 1e-2 * span_q)  # within 1% of the range
    at_bound = tuple(n.removeprefix("log_") for n, e in zip(names, edge, strict=True) if e)
    strong = max(p["e1"], p["e2"])
    beta = (p["e3"] - strong) / (strong - p["e0"]) if strong != p["e0"] else np.nan
    return MusycFit(
        block_id=block.block_id,
        drugs=(block.drugs[0], block.drugs[1]),
        **{k: float(p[k]) for k in MUSYC_NAMES},
        beta=float(beta),
        log_se=se,
        r2=1.0 - float(resid @ resid) / sst if sst > 0 else np.nan,
        converged=bool(best.success),
        at_bound=at_bound,
    )


def normal_p_value(mean: float, sd: float) -> float:
    """Two-sided p-value of a score against 0 from its bootstrap standard deviation."""
    if not np.isfinite(mean) or not np.isfinite(sd) or sd <= 0:
        return np.nan
    return float(2.0 * stats.norm.sf(abs(mean) / sd))
