"""Single-cell resistance: programme scores, resistant subpopulations, clones under drug.

Follows scanpy's layout: :mod:`~oncoresist.sc.pp` (reading, normalising, embedding with
scanpy), :mod:`~oncoresist.sc.tl` (programme scores with expression-matched controls,
Milo-style differential abundance on kNN neighbourhoods, clone fitness from lineage barcodes,
the Luria-Delbruck fluctuation test) and :mod:`~oncoresist.sc.pl` (plots). Results go back into
the AnnData object. :func:`simulate`, :func:`simulate_cnv` and :func:`simulate_fluctuation` make
synthetic data with known truth. A research tool, not for clinical decisions.

Examples
--------
>>> from oncoresist import sc as osc
>>> adata = osc.simulate(400, n_genes=500, rng=0)
>>> sorted(adata.obs.condition.unique())
['control', 'drug']
"""

from __future__ import annotations

import pandas as pd

from oncoresist.sc import pl, pp, tl
from oncoresist.sc._signatures import builtin_programmes, programme_sources
from oncoresist.sc._simulate import simulate, simulate_fluctuation
from oncoresist.sc._simulate_cnv import simulate_cnv

__all__ = ["pl", "pp", "programmes", "simulate", "simulate_cnv", "simulate_fluctuation", "tl"]


def programmes() -> pd.DataFrame:
    """The built-in gene programmes, their sizes and sources.

    Returns
    -------
    pandas.DataFrame
        ``programme``, ``n_genes``, ``source``.

    Examples
    --------
    >>> table = programmes()
    >>> table.set_index("programme").loc["MAPK_OUTPUT_MPAS", "n_genes"]
    np.int64(10)
    """
    sets = builtin_programmes()
    sources = programme_sources()
    return pd.DataFrame(
        {"programme": list(sets), "n_genes": [len(v) for v in sets.values()],
         "source": [sources[k] for k in sets]}
    )
