"""Privacy: keyed pseudonyms, date shifting, scrubbing of outputs, and consent (GA4GH DUO).

Patient identifiers are replaced by ``PSN-`` pseudonyms, HMAC-SHA256 of the identifier under a
secret key that the user keeps outside the store and the outputs: the same patient always gets
the same pseudonym under the same key, and without the key the mapping cannot be reversed or
recomputed. Each patient's dates can be shifted by an offset derived from the same key.

:class:`Scrubber` removes identifiers from what oncoresist writes: sample names and MAF barcodes
become ``SMP-`` pseudonyms, VCF command-line headers are dropped, ``##SAMPLE`` lines and sample
columns are pseudonymised, absolute file paths shrink to their (scrubbed) file name, and names,
record numbers and dates of birth that the user registers are removed. :func:`find_leaks`
looks for such identifiers in files, for tests and for checking a folder before it travels.

Consent is recorded per patient as GA4GH Data Use Ontology codes (GRU, HMB, DS-<disease>, NCU,
...); :func:`check_consent` refuses an analysis outside the scope, naming it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy._consent import (
    MODIFIERS,
    PERMISSIONS,
    REQUIREMENTS,
    ConsentDecision,
    ConsentError,
    ConsentScope,
    DataUse,
    decide,
    parse_scope,
)
from oncoresist.privacy._consent import (
    disease_within as _disease_within,
)
from oncoresist.privacy._files import identifier_patterns, scrub_one, scrub_tree, search_file
from oncoresist.privacy._keys import (
    PATIENT_PREFIX,
    SAMPLE_PREFIX,
    PseudonymKey,
    new_key,
    read_key,
    shift,
    write_key,
)
from oncoresist.privacy._outputs import pseudonymise_ids
from oncoresist.privacy._scrub import MAF_ID_COLUMNS, Scrubber

__all__ = [
    "MAF_ID_COLUMNS",
    "MODIFIERS",
    "PATIENT_PREFIX",
    "PERMISSIONS",
    "REQUIREMENTS",
    "SAMPLE_PREFIX",
    "ConsentDecision",
    "ConsentError",
    "ConsentScope",
    "DataUse",
    "PseudonymKey",
    "Scrubber",
    "check_consent",
    "date_offset",
    "disease_within",
    "find_leaks",
    "generate_key",
    "load_key",
    "parse_consent",
    "pseudonymise",
    "pseudonymise_ids",
    "scrub_directory",
    "scrub_file",
    "shift_date",
]

PathLike = str | os.PathLike[str]


def generate_key(
    path: PathLike, *, max_date_shift_days: int = 180, overwrite: bool = False
) -> PseudonymKey:
    """Create a new secret key and write it to ``path`` (readable by the owner only).

    The secret comes from the operating system's cryptographic random source, not from a
    seeded generator: a key must not be reproducible. Keep the file outside the store and the
    output folders, and back it up: without it, new data cannot be linked to earlier pseudonyms.

    Parameters
    ----------
    path
        Where to write the key file (JSON). An existing file is never replaced unless
        ``overwrite``.
    max_date_shift_days
        Per-patient date offsets are drawn from ``[-max, +max]`` days.
    overwrite
        Replace an existing key file.

    Returns
    -------
    PseudonymKey
        The new key.

    Examples
    --------
    >>> import tempfile, pathlib, stat
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cohort.key"
    >>> key = generate_key(path)
    >>> oct(stat.S_IMODE(path.stat().st_mode)), load_key(path).key_id == key.key_id
    ('0o600', True)
    """
    key = new_key(max_date_shift_days)
    write_key(path, key, overwrite=overwrite)
    return key


def load_key(path: PathLike) -> PseudonymKey:
    """Read a key file written by :func:`generate_key`.

    Parameters
    ----------
    path
        The key file.

    Returns
    -------
    PseudonymKey
        The key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "k.json"
    >>> _ = generate_key(path, max_date_shift_days=30)
    >>> load_key(path).max_date_shift_days
    30
    """
    return read_key(path)


def _as_key(key: PseudonymKey | PathLike) -> PseudonymKey:
    if isinstance(key, PseudonymKey):
        return key
    if isinstance(key, str | os.PathLike):
        return read_key(key)
    msg = f"key must be a PseudonymKey or the path of a key file, got {type(key).__name__}"
    raise InputError(msg, field="key")


def pseudonymise(identifier: str, key: PseudonymKey | PathLike, *, kind: str = "patient") -> str:
    """The keyed pseudonym of a patient identifier (or of a sample name with ``kind="sample"``).

    ``PSN-`` and 20 hex digits (80 bits) of HMAC-SHA256(key, identifier); identifiers are
    compared after trimming, collapsing spaces and upper-casing, so ``" mrn 0042"`` and
    ``"MRN 0042"`` are the same patient.

    Parameters
    ----------
    identifier
        The patient identifier (or sample name).
    key
        The key, or the path of a key file.
    kind
        ``patient`` or ``sample``.

    Returns
    -------
    str
        The pseudonym.

    Examples
    --------
    >>> key = PseudonymKey.from_hex("00" * 32)
    >>> pseudonymise("MRN 0042", key) == pseudonymise(" mrn  0042 ", key)
    True
    >>> pseudonymise("MRN 0042", key).startswith("PSN-"), len(pseudonymise("MRN 0042", key))
    (True, 24)
    >>> pseudonymise("MRN 0042", PseudonymKey.from_hex("01" * 32)) != pseudonymise("MRN 0042", key)
    True
    """
    key = _as_key(key)
    if kind == "patient":
        return key.patient(identifier)
    if kind == "sample":
        return key.sample(identifier)
    msg = f"kind must be 'patient' or 'sample', got {kind!r}"
    raise InputError(msg, field="kind")


def date_offset(identifier: str, key: PseudonymKey | PathLike) -> int:
    """The patient's date offset in days, derived from the key (the same for all their dates).

    Parameters
    ----------
    identifier
        The patient identifier.
    key
        The key, or the path of a key file.

    Returns
    -------
    int
        An offset in ``[-key.max_date_shift_days, +key.max_date_shift_days]``.

    Examples
    --------
    >>> key = PseudonymKey.from_hex("00" * 32, max_date_shift_days=10)
    >>> offset = date_offset("MRN 0042", key)
    >>> -10 <= offset <= 10, offset == date_offset("MRN 0042", key)
    (True, True)
    """
    return _as_key(key).date_offset(identifier)


def shift_date(value: dt.date | str, identifier: str, key: PseudonymKey | PathLike) -> dt.date:
    """Shift a date by the patient's offset: intervals between a patient's dates are kept.

    Parameters
    ----------
    value
        A date or ISO text.
    identifier
        The patient identifier.
    key
        The key, or the path of a key file.

    Returns
    -------
    datetime.date
        The shifted date.

    Examples
    --------
    >>> key = PseudonymKey.from_hex("00" * 32)
    >>> a = shift_date("2024-01-01", "P1", key)
    >>> b = shift_date("2024-03-01", "P1", key)
    >>> (b - a).days
    60
    """
    return shift(value, _as_key(key).date_offset(identifier))


def parse_consent(codes: str | Iterable[str] | ConsentScope) -> ConsentScope:
    """Read a consent scope from DUO codes (shorthands such as ``DS-lung cancer`` or DUO ids).

    Parameters
    ----------
    codes
        A list of codes, or one string with codes separated by ``,`` or ``;``.

    Returns
    -------
    ConsentScope
        One primary permission (NRES, GRU, HMB, DS-<disease>, POA), modifiers and requirements.

    Examples
    --------
    >>> scope = parse_consent(["DS-lung cancer", "NCU", "IRB"])
    >>> scope.permission, scope.disease, scope.modifiers, scope.requirements
    ('DS', 'lung cancer', ('NCU',), ('IRB',))
    >>> scope.duo_ids
    ('DUO:0000007', 'DUO:0000046', 'DUO:0000021')
    >>> str(parse_consent("GRU; NPUNCU"))
    'GRU, NPUNCU'
    """
    return parse_scope(codes)


def check_consent(
    scope: ConsentScope | str | Iterable[str],
    use: DataUse,
    *,
    override: str | None = None,
    subject: str | None = None,
) -> ConsentDecision:
    """Check an analysis against a consent scope; refuse it, naming the scope, when outside.

    Parameters
    ----------
    scope
        The patient's consent (a scope or its codes).
    use
        What the analysis is for.
    override
        A reason for going ahead anyway. The decision then comes back with ``allowed=False``
        but no error; the caller must log the override (the store's audit log does).
    subject
        The pseudonym named in the message.

    Returns
    -------
    ConsentDecision
        ``allowed``, the reasons against, and the obligations (IRB, PUB, ...) the user must meet.

    Raises
    ------
    ConsentError
        When the use is outside the scope and there is no override.

    Examples
    --------
    >>> check_consent(["DS-lung cancer"], DataUse(disease="non-small cell lung cancer")).allowed
    True
    >>> check_consent(["DS-lung cancer"], DataUse(disease="breast cancer"))
    Traceback (most recent call last):
    ...
    oncoresist.privacy._consent.ConsentError: consent scope DS-lung cancer does not allow research on breast cancer: DS-lung cancer covers research on lung cancer only, not research on breast cancer; to proceed anyway, give an override reason (it is logged)
    >>> check_consent("GRU, NCU", DataUse(disease="x", commercial=True), override="DAC approval 12").allowed
    False
    """
    parsed = parse_scope(scope)
    decision = decide(parsed, use)
    if not decision.allowed and not override:
        who = f"{subject}: " if subject else ""
        msg = (f"{who}consent scope {parsed} does not allow {use.describe()}: "
               f"{'; '.join(decision.reasons)}; to proceed anyway, give an override reason "
               "(it is logged)")
        raise ConsentError(msg)
    return decision


def disease_within(asked: str, consented: str) -> bool:
    """Is research on ``asked`` research on ``consented`` (the same disease, or a narrower one)?

    The rule used for DS-<disease> consents: names are compared after lower-casing and common
    abbreviations (NSCLC, SCLC, LUAD, CRC, CML, AML, GIST, ...); an asked disease is within the
    consented one when every word of the consented name (minus generic words such as "cancer")
    is in it. Ontology ids (``MONDO:0005233``) match only themselves. Conservative: a broader
    question is never within a narrower consent.

    Parameters
    ----------
    asked
        The disease an analysis is about.
    consented
        The disease of the DS code.

    Returns
    -------
    bool
        Whether a DS-``consented`` consent covers research on ``asked``.

    Examples
    --------
    >>> disease_within("NSCLC", "lung cancer"), disease_within("lung cancer", "NSCLC")
    (True, False)
    """
    return _disease_within(asked, consented)


def scrub_file(source: PathLike, scrubber: Scrubber, *, output: PathLike | None = None) -> str:
    """Scrub one file (VCF, MAF, Parquet or text), in place or into ``output``, atomically.

    Parameters
    ----------
    source
        The file. VCF and MAF may be gzipped.
    scrubber
        What to replace.
    output
        Where to write; by default ``source`` is replaced.

    Returns
    -------
    str
        ``scrubbed``, or why the file was not (binary files such as PNG are left as they are).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> vcf = folder / "in.vcf"
    >>> _ = vcf.write_text("##fileformat=VCFv4.2\\n##commandline=bcftools call /home/jsmith/x.bam\\n"
    ...                    "#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\tFORMAT\\tJOHN_SMITH_T\\n")
    >>> scrubber = Scrubber(PseudonymKey.from_hex("00" * 32))
    >>> scrub_file(vcf, scrubber, output=folder / "out.vcf")
    'scrubbed'
    >>> text = (folder / "out.vcf").read_text()
    >>> "commandline" in text, "JOHN" in text, "SMP-" in text
    (False, False, True)
    """
    source = Path(source)
    if not source.is_file():
        msg = "no such file to scrub"
        raise InputError(msg, path=source)
    return scrub_one(scrubber, source, Path(output) if output is not None else source)


def scrub_directory(folder: PathLike, scrubber: Scrubber) -> pd.DataFrame:
    """Scrub every file of an output folder in place (and identifiers in file names).

    Parameters
    ----------
    folder
        The output folder.
    scrubber
        What to replace.

    Returns
    -------
    pandas.DataFrame
        ``file`` and ``status`` per file; images are reported as not scrubbed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("input /data/MRN99123/plasma.tsv from MRN99123\\n")
    >>> scrub_directory(folder, Scrubber(identifiers=["MRN99123"]))["status"].tolist()
    ['scrubbed']
    >>> (folder / "notes.txt").read_text()
    'input plasma.tsv from [removed]\\n'
    """
    root = Path(folder)
    if not root.is_dir():
        msg = "is not a folder; give the output folder to scrub"
        raise InputError(msg, path=root)
    return scrub_tree(scrubber, root)


def find_leaks(
    paths: PathLike | Iterable[PathLike],
    identifiers: Iterable[str],
    *,
    dates: Iterable[dt.date | str] = (),
    texts: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Look for identifiers in files, folders (recursively) and texts (log lines, database dumps).

    An identifier matches whatever separators stand between its words or digits
    (``John Smith``, ``john_smith``, ``JOHN^SMITH``), case-insensitively; dates match in their
    common written forms. Binary files are searched as bytes.

    Parameters
    ----------
    paths
        Files or folders.
    identifiers
        Names, record numbers, sample names, path components.
    dates
        Dates (of birth, of collection) to look for.
    texts
        Extra texts by label (stderr of a command, rows of a database).

    Returns
    -------
    pandas.DataFrame
        One row per hit: ``where`` (file, or label), ``line``, ``identifier``, ``context``.
        Empty when nothing leaked.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.tsv").write_text("patient\\nPSN-1\\nsmith_john\\n")
    >>> find_leaks(folder, ["Smith John"])[["where", "line"]].values.tolist()
    [['a.tsv', 3]]
    """
    patterns = identifier_patterns(identifiers, dates)
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    hits: list[dict] = []
    from oncoresist.privacy._files import search_text

    for item in items:
        path = Path(item)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                hits += search_file(file, patterns, path)
        elif path.is_file():
            hits += search_file(path, patterns, None)
    for label, text in (texts or {}).items():
        hits += search_text(text, label, patterns)
    return pd.DataFrame(hits, columns=["where", "line", "identifier", "context"])
