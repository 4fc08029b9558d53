"""Run the peer `synergy` package (GPL-3; run, never copied) on blocks given in an .npz file.

Executed with the peer's own interpreter (/work/peers/synergy/bin/python), never imported by
oncoresist. Input arrays: block (int), d1, d2, inhibition (% inhibition, one row per well mean).
The peer works on fractions of viability, E = 1 - inhibition / 100, decreasing with dose; its
synergy values (reference - E) are multiplied by 100 to be on the % inhibition scale.
Prints one JSON object: per-model block means over wells with both drugs and the seconds spent.
"""

import json
import sys
import time
import warnings

import numpy as np
import synergy
from synergy.combination import HSA, ZIP, Bliss, Loewe

warnings.filterwarnings("ignore")

data = np.load(sys.argv[1])
models = sys.argv[2].split(",") if len(sys.argv) > 2 else ["hsa", "bliss", "loewe", "zip"]
blocks = data["block"]
out = {"scores": {m: [] for m in models}, "seconds": dict.fromkeys(models, 0.0), "wells": {m: [] for m in models}}
factories = {
    "hsa": lambda: HSA(),
    "bliss": lambda: Bliss(),
    "loewe": lambda: Loewe(mode="delta_HSA"),
    "zip": lambda: ZIP(use_jacobian=False),
}
for b in np.unique(blocks):
    sel = blocks == b
    d1, d2 = data["d1"][sel], data["d2"][sel]
    e = 1.0 - data["inhibition"][sel] / 100.0
    both = (d1 > 0) & (d2 > 0)
    for name in models:
        start = time.perf_counter()
        try:
            syn = np.asarray(factories[name]().fit(d1, d2, e), dtype=float) * 100.0
        except Exception:  # the peer's own failures are recorded as NaN, not hidden
            syn = np.full(d1.shape, np.nan)
        out["seconds"][name] += time.perf_counter() - start
        vals = syn[both]
        out["scores"][name].append(float(np.nanmean(vals)) if np.isfinite(vals).any() else None)
        out["wells"][name].append([None if not np.isfinite(v) else float(v) for v in syn[both]])
out["version"] = getattr(synergy, "__version__", "1.0.0")
print(json.dumps(out))
