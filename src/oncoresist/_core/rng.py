"""Randomness enters only here: a seed or a Generator in, Generators out."""

from __future__ import annotations

import numpy as np

from oncoresist._core.exceptions import InputError

RngLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(rng: RngLike = None) -> np.random.Generator:
    """Turn a seed, a SeedSequence, a Generator or None into a Generator.

    A Generator passed in is returned as it is (so the caller's stream advances).

    Examples
    --------
    >>> bool(as_generator(1).integers(0, 10) == as_generator(1).integers(0, 10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        msg = f"rng must be an int seed, a numpy Generator or None; got {type(rng).__name__}"
        raise InputError(msg, field="rng")
    if rng < 0:
        msg = f"rng seed must be >= 0; got {rng}"
        raise InputError(msg, field="rng")
    return np.random.default_rng(int(rng))


def spawn_seed_sequences(rng: RngLike, n: int) -> list[np.random.SeedSequence]:
    """Independent child seed sequences for ``n`` replicates or workers.

    From an int seed the children are those of ``np.random.SeedSequence(seed).spawn(n)``, so
    replicate ``i`` is the same whatever the number of workers. From a Generator, the children
    are drawn from its bit generator's seed sequence (advancing it).

    Examples
    --------
    >>> a = spawn_seed_sequences(7, 3)
    >>> b = spawn_seed_sequences(7, 3)
    >>> [s.generate_state(1)[0] for s in a] == [s.generate_state(1)[0] for s in b]
    True
    """
    if n < 0:
        msg = f"number of seed sequences must be >= 0; got {n}"
        raise InputError(msg, field="n")
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator.seed_seq.spawn(n)  # type: ignore[union-attr]
    if isinstance(rng, np.random.SeedSequence):
        return rng.spawn(n)
    if rng is not None:
        as_generator(rng)  # validates the seed
    return np.random.SeedSequence(rng).spawn(n)


def spawn_generators(rng: RngLike, n: int) -> list[np.random.Generator]:
    """``n`` independent Generators, one per replicate or worker.

    Examples
    --------
    >>> gens = spawn_generators(1, 2)
    >>> float(gens[0].random()) != float(gens[1].random())
    True
    """
    return [np.random.default_rng(s) for s in spawn_seed_sequences(rng, n)]


def integer_seed(rng: RngLike) -> int:
    """An int seed for libraries that take one (scanpy's ``random_state``): ``rng`` itself when
    it is an int, otherwise one drawn from it.

    Examples
    --------
    >>> integer_seed(7)
    7
    >>> integer_seed(np.random.default_rng(0)) == integer_seed(np.random.default_rng(0))
    True
    """
    if isinstance(rng, int):
        return rng
    return int(as_generator(rng).integers(0, 2**31 - 1))


def seed_of(rng: RngLike) -> int | None:
    """The integer seed to record in provenance, or None when there is none to record."""
    if isinstance(rng, bool):
        return None
    if isinstance(rng, int | np.integer):
        return int(rng)
    return None
