"""Pseudonymising the identifier columns of a command's result tables before they are written."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from oncoresist.privacy._keys import PseudonymKey, read_key


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and str(value) != ""


def pseudonymise_ids(
    frame: pd.DataFrame,
    key: PseudonymKey | str | os.PathLike[str],
    *,
    patient_columns: Iterable[str] = ("patient_id",),
    sample_columns: Iterable[str] = ("sample_id",),
    patient: str | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with patient and sample identifier columns replaced by pseudonyms.

    Patient identifiers become ``PSN-`` pseudonyms (as in the store). Sample names become
    ``SMP-`` pseudonyms qualified by their patient's pseudonym, exactly as the store makes them,
    when the patient is known: from the row's first patient column, or else from ``patient``.
    Without a patient, a sample name is pseudonymised alone, as :class:`Scrubber` and
    ``store scrub`` do. The same identifier under the same key always gets the same pseudonym,
    so tables written by different commands join with each other and with the store. Columns
    that are absent are skipped; missing values stay missing; other columns are unchanged.

    Parameters
    ----------
    frame
        A result table.
    key
        The pseudonym key, or the path of a key file.
    patient_columns
        Columns holding patient identifiers.
    sample_columns
        Columns holding sample names or barcodes.
    patient
        The patient identifier the samples belong to, when no patient column says it.

    Returns
    -------
    pandas.DataFrame
        The relabelled copy.

    Examples
    --------
    >>> import pandas as pd
    >>> from oncoresist.privacy import PseudonymKey, pseudonymise
    >>> key = PseudonymKey.from_hex("00" * 32)
    >>> table = pd.DataFrame({"patient_id": ["MRN 1", "MRN 1"], "sample_id": ["d0", "d28"],
    ...                       "alt_reads": [3, 0]})
    >>> out = pseudonymise_ids(table, key)
    >>> out["patient_id"].tolist() == [pseudonymise("MRN 1", key)] * 2
    True
    >>> bool(out["sample_id"].str.startswith("SMP-").all()), out["alt_reads"].tolist()
    (True, [3, 0])
    >>> alone = pseudonymise_ids(table[["sample_id"]], key, patient="MRN 1")
    >>> alone["sample_id"].equals(out["sample_id"])
    True
    """
    if not isinstance(key, PseudonymKey):
        key = read_key(key)
    out = frame.copy()
    patients = [c for c in patient_columns if c in out.columns]
    fixed = key.patient(patient) if patient is not None else None
    owners = None
    if patients:
        owners = out[patients[0]].map(lambda v: key.patient(str(v)) if _present(v) else fixed)
    for column in patients:
        out[column] = out[column].map(lambda v: key.patient(str(v)) if _present(v) else v)
    for column in (c for c in sample_columns if c in out.columns):
        owner_list = owners.tolist() if owners is not None else [fixed] * len(out)
        out[column] = [key.sample(str(v), patient=p) if _present(v) else v
                       for v, p in zip(out[column].tolist(), owner_list, strict=True)]
    return out
