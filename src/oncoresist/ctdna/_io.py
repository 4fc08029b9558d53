"""Reading serial ctDNA tables, MAF series, panels of normals, therapy and imaging histories.

Every reader returns a DataFrame with canonical columns and the ``_line`` column of
``read_table`` so that later checks can still name the file line of a bad row.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, read_table

LINE = "_line"

#: Optional per-sample columns carried through to the calls.
OPTIONAL_NUMERIC = ("cfdna_ng_per_ml", "plasma_ml", "tumour_fraction", "umi_families")

_SAMPLE_TYPES = {
    "day": "float",
    "alt_reads": "int",
    "depth": "int",
    "pos": "int",
    "cfdna_ng_per_ml": "float",
    "plasma_ml": "float",
    "tumour_fraction": "float",
    "umi_families": "int",
    "patient_id": "str",
    "sample_id": "str",
    "gene": "str",
    "alteration": "str",
    "chrom": "str",
    "ref": "str",
    "alt": "str",
    "assay": "str",
    "collection_date": "str",
}

_SAMPLE_ALIASES = {
    "patient": "patient_id",
    "sample": "sample_id",
    "hugo_symbol": "gene",
    "chromosome": "chrom",
    "position": "pos",
    "start_position": "pos",
    "alt_count": "alt_reads",
    "t_alt_count": "alt_reads",
    "t_depth": "depth",
    "total_reads": "depth",
    "cfdna_ng_ml": "cfdna_ng_per_ml",
    "plasma_volume_ml": "plasma_ml",
    "umi_family_count": "umi_families",
}

_PYRIMIDINE = {"A": "T", "C": "G", "G": "C", "T": "A"}


def _where(frame: pd.DataFrame, index) -> int | None:
    if LINE in frame.columns:
        return int(frame.loc[index, LINE])
    return None


def _source_path(frame: pd.DataFrame) -> str | None:
    return frame.attrs.get("path")


def substitution_class(ref: str | None, alt: str | None) -> str:
    """The pyrimidine-centred substitution class (``C>T``...), ``indel``, or ``unknown``.

    A purine reference base is reverse-complemented, so G>A and C>T fall in the same class,
    as in mutational-signature work.
    """
    if not ref or not alt or not isinstance(ref, str) or not isinstance(alt, str):
        return "unknown"
    ref, alt = ref.upper(), alt.upper()
    if len(ref) != 1 or len(alt) != 1 or ref == "-" or alt == "-":
        return "indel"
    if ref not in _PYRIMIDINE or alt not in _PYRIMIDINE:
        return "unknown"
    if ref in ("A", "G"):
        ref, alt = _PYRIMIDINE[ref], _PYRIMIDINE[alt]
    return f"{ref}>{alt}"


def _variant_columns(frame: pd.DataFrame, path: str | None) -> pd.DataFrame:
    """Add ``variant`` (display name) and ``locus`` (key into the background model)."""
    has_named = {"gene", "alteration"} <= set(frame.columns)
    has_coords = {"chrom", "pos", "ref", "alt"} <= set(frame.columns)
    if not has_named and not has_coords:
        msg = (
            "needs either columns 'gene' and 'alteration' or columns 'chrom', 'pos', 'ref', 'alt' "
            "to name each variant; add one set"
        )
        raise InputError(msg, path=path, line=1)
    n = len(frame)
    named = pd.Series([None] * n, index=frame.index, dtype=object)
    coords = pd.Series([None] * n, index=frame.index, dtype=object)
    if has_named:
        ok = frame["gene"].notna() & frame["alteration"].notna()
        named = (frame["gene"].astype(str) + " " + frame["alteration"].astype(str)).where(ok, None)
    if has_coords:
        ok = frame["chrom"].notna() & frame["pos"].notna() & frame["ref"].notna() & frame["alt"].notna()
        text = (
            frame["chrom"].astype(str) + ":" + frame["pos"].astype(str) + " "
            + frame["ref"].astype(str) + ">" + frame["alt"].astype(str)
        )
        coords = text.where(ok, None)
    missing = named.isna() & coords.isna()
    if missing.any():
        first = missing.idxmax()
        msg = "row names no variant: fill 'gene' and 'alteration', or 'chrom', 'pos', 'ref' and 'alt'"
        raise InputError(msg, path=path, line=_where(frame, first))
    frame["variant"] = named.fillna(coords)
    frame["locus"] = coords.fillna(named)
    if not has_named:
        frame["gene"] = None
        frame["alteration"] = coords
    else:
        frame["gene"] = frame["gene"].where(frame["gene"].notna(), None)
        frame["alteration"] = frame["alteration"].where(frame["alteration"].notna(), coords)
    if has_coords:
        frame["substitution_class"] = [
            substitution_class(r, a) for r, a in zip(frame["ref"], frame["alt"], strict=True)
        ]
    else:
        frame["substitution_class"] = "unknown"
    return frame


def _check_counts(frame: pd.DataFrame, path: str | None, *, what: str = "row") -> None:
    for column in ("alt_reads", "depth"):
        values = frame[column]
        if values.isna().any():
            first = values.isna().idxmax()
            msg = f"{what} has no '{column}'; every row needs alt_reads and depth as whole numbers"
            raise InputError(msg, path=path, line=_where(frame, first), field=column)
        negative = values < 0
        if negative.any():
            first = negative.idxmax()
            msg = f"'{column}' must be >= 0; found {column}={values[first]}. Correct the count"
            raise InputError(msg, path=path, line=_where(frame, first), field=column)
    over = frame["alt_reads"] > frame["depth"]
    if over.any():
        first = over.idxmax()
        msg = (
            f"depth must be >= alt_reads; found alt_reads={frame.loc[first, 'alt_reads']}, "
            f"depth={frame.loc[first, 'depth']}. Check that the two columns are not swapped"
        )
        raise InputError(msg, path=path, line=_where(frame, first), field="alt_reads")
    for column in OPTIONAL_NUMERIC:
        if column in frame.columns:
            bad = frame[column].notna() & (frame[column] < 0)
            if column == "tumour_fraction":
                bad |= frame[column].notna() & (frame[column] > 1)
            if bad.any():
                first = bad.idxmax()
                allowed = "between 0 and 1" if column == "tumour_fraction" else ">= 0"
                msg = f"'{column}' must be {allowed}; found {frame.loc[first, column]}"
                raise InputError(msg, path=path, line=_where(frame, first), field=column)


def _days_from_dates(frame: pd.DataFrame, path: str | None) -> pd.Series:
    dates = pd.to_datetime(frame["collection_date"], errors="coerce", format="ISO8601")
    bad = dates.isna() & frame["collection_date"].notna()
    if bad.any():
        first = bad.idxmax()
        msg = (
            f"collection_date must be an ISO date like 2024-03-01; "
            f"found {frame.loc[first, 'collection_date']!r}"
        )
        raise InputError(msg, path=path, line=_where(frame, first), field="collection_date")
    first_date = dates.groupby(frame["patient_id"]).transform("min")
    return (dates - first_date).dt.days.astype(float)


def normalise_samples(frame: pd.DataFrame, *, path: str | None = None, normals: bool = False) -> pd.DataFrame:
    """Check and complete a sample table already read into a DataFrame."""
    frame = frame.copy()
    path = path or _source_path(frame)
    if LINE not in frame.columns:
        frame[LINE] = np.arange(2, len(frame) + 2, dtype=np.int64)
    lower = {c.lower(): c for c in frame.columns}
    frame = frame.rename(
        columns={lower[a]: t for a, t in _SAMPLE_ALIASES.items() if a in lower and t not in frame.columns}
    )
    required = ["sample_id", "alt_reads", "depth"] if normals else ["patient_id", "sample_id", "alt_reads", "depth"]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(c for c in frame.columns if c != LINE)
        msg = f"is missing required column(s) {', '.join(missing)}; found: {found}"
        raise InputError(msg, path=path, line=1)
    for column in ("alt_reads", "depth", "pos", "umi_families"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in ("day", *OPTIONAL_NUMERIC):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    if "pos" in frame.columns:
        frame["pos"] = frame["pos"].astype("Int64")
    _check_counts(frame, path)
    frame["alt_reads"] = frame["alt_reads"].astype(np.int64)
    frame["depth"] = frame["depth"].astype(np.int64)
    if normals:
        if "patient_id" not in frame.columns:
            frame["patient_id"] = frame["sample_id"]
    else:
        if "day" not in frame.columns:
            if "collection_date" not in frame.columns:
                msg = "needs a 'day' column (days from baseline) or a 'collection_date' column"
                raise InputError(msg, path=path, line=1)
            frame["day"] = _days_from_dates(frame, path)
        elif "collection_date" in frame.columns:
            fill = frame["day"].isna() & frame["collection_date"].notna()
            if fill.any():
                frame.loc[fill, "day"] = _days_from_dates(frame, path)[fill]
        if frame["day"].isna().any():
            first = frame["day"].isna().idxmax()
            msg = "row has no day; give 'day' (days from baseline) or 'collection_date' for every sample"
            raise InputError(msg, path=path, line=_where(frame, first), field="day")
        clash = frame.groupby("sample_id")["day"].nunique()
        if (clash > 1).any():
            sample = clash[clash > 1].index[0]
            first = frame.index[frame["sample_id"] == sample][0]
            msg = f"sample {sample!r} appears with more than one day; each sample has one collection day"
            raise InputError(msg, path=path, line=_where(frame, first), field="day")
    frame = _variant_columns(frame, path)
    duplicated = frame.duplicated(["sample_id", "variant"], keep="first")
    if duplicated.any():
        first = duplicated.idxmax()
        msg = (
            f"variant {frame.loc[first, 'variant']!r} appears twice in sample "
            f"{frame.loc[first, 'sample_id']!r}; give one row per sample and variant"
        )
        raise InputError(msg, path=path, line=_where(frame, first))
    for column in ("assay",):
        if column not in frame.columns:
            frame[column] = None
    frame.attrs["path"] = path
    frame.index = pd.RangeIndex(len(frame))
    return frame


def read_samples(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read the long table of serial plasma samples (one row per sample x variant).

    Parameters
    ----------
    path
        TSV/CSV: ``patient_id sample_id day gene alteration alt_reads depth`` (or
        ``chrom pos ref alt``; ``collection_date`` instead of ``day``), optional
        ``cfdna_ng_per_ml plasma_ml tumour_fraction umi_families assay``.

    Returns
    -------
    pandas.DataFrame
        Checked table with ``variant`` (display name), ``locus`` (background key),
        ``substitution_class`` and ``_line`` (file line) added.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.tsv"
    >>> _ = p.write_text("patient_id\tsample_id\tday\tgene\talteration\talt_reads\tdepth\n"
    ...                  "P1\ts1\t0\tEGFR\tp.T790M\t3\t1000\n")
    >>> read_samples(p)[["variant", "alt_reads", "_line"]].values.tolist()
    [['EGFR p.T790M', 3, 2]]
    """
    frame = read_table(path, types=_SAMPLE_TYPES, aliases=_SAMPLE_ALIASES)
    return normalise_samples(frame, path=str(path))


def _header_columns(path: Path) -> list[str]:
    import gzip

    from oncoresist._core.tables import detect_delimiter

    if not path.is_file():
        return []
    with open(path, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and not line.startswith("#"):
                    return [c.strip() for c in line.rstrip("\r\n").split(detect_delimiter(line))]
    except (OSError, UnicodeDecodeError):
        return []  # read_samples reports the problem properly
    return []


def read_any_samples(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A sample table, or a MAF-series manifest (a table with a ``maf`` column and no counts)."""
    header = _header_columns(Path(path))
    if "maf" in header and "alt_reads" not in header and "t_alt_count" not in header:
        return read_maf_series(path)
    return read_samples(path)


def read_normals(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read a panel of normals: the sample table's columns, for healthy donors (no day needed).

    Parameters
    ----------
    path
        TSV/CSV with ``sample_id alt_reads depth`` and the variant columns.

    Returns
    -------
    pandas.DataFrame
        Checked table (``patient_id`` set to ``sample_id`` when absent).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pon.tsv"
    >>> _ = p.write_text("sample_id\tgene\talteration\talt_reads\tdepth\nN1\tEGFR\tp.T790M\t0\t900\n")
    >>> read_normals(p)["locus"].tolist()
    ['EGFR p.T790M']
    """
    frame = read_table(path, types=_SAMPLE_TYPES, aliases=_SAMPLE_ALIASES)
    return normalise_samples(frame, path=str(path), normals=True)


_MAF_REQUIRED = ("Hugo_Symbol", "Tumor_Sample_Barcode", "t_alt_count", "t_depth")


def read_maf_series(manifest: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read a series of GDC MAF files listed in a manifest (``patient_id sample_id day maf``).

    ``maf`` paths are taken relative to the manifest's folder. The rows of each MAF whose
    ``Tumor_Sample_Barcode`` equals the manifest's ``sample_id`` are kept (all rows when the MAF
    holds a single barcode). Variants are named by ``Hugo_Symbol`` and ``HGVSp_Short`` when
    present, and keyed by ``Chromosome``, ``Start_Position``, ``Reference_Allele`` and
    ``Tumor_Seq_Allele2``.

    Parameters
    ----------
    manifest
        TSV with ``patient_id sample_id day maf``.

    Returns
    -------
    pandas.DataFrame
        The sample table of all listed samples.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.maf").write_text("#version 2.4\nHugo_Symbol\tHGVSp_Short\tTumor_Sample_Barcode\t"
    ...                              "t_alt_count\tt_depth\nEGFR\tp.T790M\tS1\t4\t800\n")
    >>> _ = (d / "m.tsv").write_text("patient_id\tsample_id\tday\tmaf\nP1\tS1\t0\ta.maf\n")
    >>> read_maf_series(d / "m.tsv")[["variant", "alt_reads"]].values.tolist()
    [['EGFR p.T790M', 4]]
    """
    manifest = Path(manifest)
    sheet = read_table(
        manifest, required=["patient_id", "sample_id", "maf"], types={"day": "float"},
    )
    frames = []
    for row in sheet.itertuples(index=False):
        maf_path = Path(row.maf)
        if not maf_path.is_absolute():
            maf_path = manifest.parent / maf_path
        maf = read_table(
            maf_path, required=_MAF_REQUIRED,
            types={"t_alt_count": "int", "t_depth": "int", "Start_Position": "int"},
        )
        barcodes = maf["Tumor_Sample_Barcode"].unique()
        if len(barcodes) > 1:
            maf = maf[maf["Tumor_Sample_Barcode"] == row.sample_id]
            if maf.empty:
                msg = (
                    f"holds no rows with Tumor_Sample_Barcode {row.sample_id!r} "
                    f"(manifest {manifest.name}, line {row._line}); check the sample_id"
                )
                raise InputError(msg, path=maf_path)
        table = pd.DataFrame({
            "patient_id": row.patient_id,
            "sample_id": row.sample_id,
            "day": row.day,
            "gene": maf["Hugo_Symbol"].to_numpy(),
            "alt_reads": maf["t_alt_count"].to_numpy(),
            "depth": maf["t_depth"].to_numpy(),
            LINE: maf[LINE].to_numpy(),
        })
        if "HGVSp_Short" in maf.columns:
            table["alteration"] = maf["HGVSp_Short"].to_numpy()
        if {"Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2"} <= set(maf.columns):
            table["chrom"] = maf["Chromosome"].to_numpy()
            table["pos"] = maf["Start_Position"].to_numpy()
            table["ref"] = maf["Reference_Allele"].to_numpy()
            table["alt"] = maf["Tumor_Seq_Allele2"].to_numpy()
        if "alteration" not in table.columns and "chrom" not in table.columns:
            msg = "needs HGVSp_Short or Chromosome/Start_Position/Reference_Allele/Tumor_Seq_Allele2"
            raise InputError(msg, path=maf_path, line=1)
        table.attrs["path"] = str(maf_path)
        frames.append(normalise_samples(table, path=str(maf_path)))
    if not frames:
        msg = "lists no MAF files; add one row per sample (patient_id sample_id day maf)"
        raise InputError(msg, path=manifest)
    combined = pd.concat(frames, ignore_index=True)
    combined.attrs["path"] = str(manifest)
    return combined


def read_therapy(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read a therapy history: ``patient_id drug start_day end_day`` (empty end_day: ongoing).

    Parameters
    ----------
    path
        TSV/CSV; drug names are lower-cased.

    Returns
    -------
    pandas.DataFrame
        Checked history (``end_day`` NaN when ongoing).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
    >>> _ = p.write_text("patient_id\tdrug\tstart_day\tend_day\nP1\tOsimertinib\t200\t\n")
    >>> read_therapy(p)["drug"].tolist()
    ['osimertinib']
    """
    frame = read_table(
        path, required=["patient_id", "drug", "start_day"],
        types={"start_day": "float", "end_day": "float", "patient_id": "str", "drug": "str"},
    )
    return normalise_therapy(frame, path=str(path))


def normalise_therapy(frame: pd.DataFrame, *, path: str | None = None) -> pd.DataFrame:
    """Check a therapy history held in a DataFrame."""
    frame = frame.copy()
    if LINE not in frame.columns:
        frame[LINE] = np.arange(2, len(frame) + 2, dtype=np.int64)
    for column in ("patient_id", "drug", "start_day"):
        if column not in frame.columns:
            msg = f"therapy history is missing column '{column}'; expected patient_id drug start_day end_day"
            raise InputError(msg, path=path, line=1)
    if "end_day" not in frame.columns:
        frame["end_day"] = np.nan
    frame["start_day"] = pd.to_numeric(frame["start_day"], errors="coerce").astype(float)
    frame["end_day"] = pd.to_numeric(frame["end_day"], errors="coerce").astype(float)
    if frame["start_day"].isna().any():
        first = frame["start_day"].isna().idxmax()
        msg = "therapy row has no start_day; give the first day of the drug"
        raise InputError(msg, path=path, line=_where(frame, first), field="start_day")
    backwards = frame["end_day"].notna() & (frame["end_day"] < frame["start_day"])
    if backwards.any():
        first = backwards.idxmax()
        msg = (
            f"end_day must be >= start_day; found start_day={frame.loc[first, 'start_day']:g}, "
            f"end_day={frame.loc[first, 'end_day']:g}"
        )
        raise InputError(msg, path=path, line=_where(frame, first), field="end_day")
    frame["drug"] = frame["drug"].astype(str).str.strip().str.lower()
    return frame.reset_index(drop=True)


_PROGRESSION = {"pd", "progression", "progressive disease", "progressive", "recist pd"}


def read_imaging(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read imaging results: ``patient_id day result`` (``PD`` or ``progression`` marks progression).

    Parameters
    ----------
    path
        TSV/CSV.

    Returns
    -------
    pandas.DataFrame
        Checked table with a boolean ``progression`` column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "i.tsv"
    >>> _ = p.write_text("patient_id\tday\tresult\nP1\t56\tSD\nP1\t112\tPD\n")
    >>> read_imaging(p)["progression"].tolist()
    [False, True]
    """
    frame = read_table(
        path, required=["patient_id", "day", "result"],
        types={"day": "float", "patient_id": "str", "result": "str"},
    )
    return normalise_imaging(frame, path=str(path))


def normalise_imaging(frame: pd.DataFrame, *, path: str | None = None) -> pd.DataFrame:
    """Check an imaging table held in a DataFrame and flag progression."""
    frame = frame.copy()
    if LINE not in frame.columns:
        frame[LINE] = np.arange(2, len(frame) + 2, dtype=np.int64)
    for column in ("patient_id", "day", "result"):
        if column not in frame.columns:
            msg = f"imaging table is missing column '{column}'; expected patient_id day result"
            raise InputError(msg, path=path, line=1)
    frame["day"] = pd.to_numeric(frame["day"], errors="coerce").astype(float)
    if frame["day"].isna().any():
        first = frame["day"].isna().idxmax()
        msg = "imaging row has no day; give the day of the scan"
        raise InputError(msg, path=path, line=_where(frame, first), field="day")
    frame["progression"] = frame["result"].astype(str).str.strip().str.lower().isin(_PROGRESSION)
    return frame.reset_index(drop=True)
