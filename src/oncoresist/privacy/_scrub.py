"""Text-level scrubbing: identifiers, dates, file paths, VCF headers and MAF barcodes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import pandas as pd

from oncoresist.privacy._keys import PseudonymKey

REMOVED = "[removed]"
PATH_REMOVED = "[path]"

# VCF meta-information keys that record how a file was made: command lines carry paths, sample
# names and sometimes patient names, so they are dropped whole.
_COMMAND_KEY = re.compile(r"(?i)(command|cmdline|cmd_line|commandline|pedigree|individual)")
# MAF columns that hold sample or case identifiers (GDC MAF specification names).
MAF_ID_COLUMNS = (
    "Tumor_Sample_Barcode", "Matched_Norm_Sample_Barcode", "Tumor_Sample_UUID",
    "Matched_Norm_Sample_UUID", "case_id", "tumor_submitter_uuid", "normal_submitter_uuid",
    "Tumor_Validation_Allele1", "Sample_ID", "Patient_ID",
)
_MAF_ID_SET = {c.lower() for c in MAF_ID_COLUMNS if "Allele" not in c}

# Absolute POSIX paths (at least two components), file:// URIs and Windows paths. A path must
# start after a delimiter so that URLs, HTML end tags and units such as "molecules/mL" survive.
_POSIX_PATH = re.compile(r"(?:(?<=[\s\"'=(\[,;:])|^)(~?/(?:[^/\s\"'<>|,;:()\[\]]+/)+[^/\s\"'<>|,;:()\[\]]*)",
                         re.MULTILINE)
_FILE_URI = re.compile(r"file://(/[^\s\"'<>]*)")
_WINDOWS_PATH = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]:\\(?:[^\\\s\"'<>|]+\\)*[^\\\s\"'<>|]*")

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


def _token_pattern(text: str) -> str | None:
    tokens = [t for t in re.split(r"[^0-9A-Za-z]+", text) if t]
    if not tokens:
        return None
    # Separators between tokens may differ ("John Smith", "john_smith", "JOHN^SMITH").
    body = r"[\W_]{0,3}".join(re.escape(t) for t in tokens)
    return rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])"


def _date_forms(value: dt.date) -> list[str]:
    d, m, y = value.day, value.month, value.year
    month = _MONTHS[m - 1]
    return sorted({
        f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}/{m:02d}/{d:02d}", f"{y:04d}{m:02d}{d:02d}",
        f"{d:02d}/{m:02d}/{y:04d}", f"{d:02d}.{m:02d}.{y:04d}", f"{d:02d}-{m:02d}-{y:04d}",
        f"{m:02d}/{d:02d}/{y:04d}", f"{d}/{m}/{y}", f"{m}/{d}/{y}", f"{d}.{m}.{y}",
        f"{d} {month} {y}", f"{d} {month[:3]} {y}", f"{month} {d}, {y}", f"{month[:3]} {d}, {y}",
        f"{d:02d}-{month[:3]}-{y}", f"{d:02d}{month[:3].upper()}{y}",
    })


class Scrubber:
    """Replace or remove identifiers in what oncoresist writes.

    Register what identifies people — patient identifiers (replaced by their keyed pseudonym),
    sample names and barcodes (replaced by sample pseudonyms), other identifiers such as names
    and medical record numbers (removed), dates such as a date of birth (removed, in the common
    written forms) — then pass text, tables, VCF and MAF content through it. Absolute file paths
    are reduced to their file name (itself scrubbed) because folder names often carry names.

    Without a key, pseudonyms cannot be made; patient and sample identifiers are then replaced
    by ordinal labels (``[patient-1]``, ``[sample-1]``) that are not linkable across runs.

    Parameters
    ----------
    key
        The pseudonym key, or None.
    patients, samples, identifiers, dates
        Values to register at once (see the ``add_*`` methods).
    paths
        Whether absolute file paths are reduced to their file name.
    """

    def __init__(
        self,
        key: PseudonymKey | None = None,
        *,
        patients: Iterable[str] = (),
        samples: Iterable[str] = (),
        identifiers: Iterable[str] = (),
        dates: Iterable[dt.date | str] = (),
        paths: bool = True,
    ) -> None:
        self.key = key
        self.paths = paths
        self._replacements: dict[str, str] = {}
        self._samples: dict[str, str] = {}
        self._patients: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lookup: dict[str, str] = {}
        for value in patients:
            self.add_patient(value)
        for value in samples:
            self.add_sample(value)
        for value in identifiers:
            self.add_identifier(value)
        for value in dates:
            self.add_date(value)

    # registration ------------------------------------------------------------------------
    def _register(self, text: str, replacement: str) -> None:
        text = str(text).strip()
        if len(text) < 2:
            return  # one character cannot be scrubbed without destroying everything else
        self._replacements[text] = replacement
        self._pattern = None

    def add_patient(self, identifier: str) -> str:
        """Register a patient identifier; returns the text it is replaced by."""
        identifier = str(identifier).strip()
        if identifier not in self._patients:
            self._patients[identifier] = (self.key.patient(identifier) if self.key is not None
                                          else f"[patient-{len(self._patients) + 1}]")
        self._register(identifier, self._patients[identifier])
        return self._patients[identifier]

    def add_sample(self, name: str) -> str:
        """Register a sample name or barcode; returns its pseudonym."""
        name = str(name).strip()
        if name not in self._samples:
            self._samples[name] = (self.key.sample(name) if self.key is not None
                                   else f"[sample-{len(self._samples) + 1}]")
        self._register(name, self._samples[name])
        return self._samples[name]

    def add_identifier(self, text: str, *, name: bool = False) -> None:
        """Register an identifier to remove (a name, an MRN); ``name=True`` also matches it reversed."""
        self._register(text, REMOVED)
        if name:
            parts = str(text).replace(",", " ").split()
            if len(parts) > 1:
                self._register(" ".join(reversed(parts)), REMOVED)

    def add_date(self, value: dt.date | str) -> None:
        """Register a date (e.g. of birth) to remove in its common written forms."""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value.strip()[:10])
        for form in _date_forms(value):
            self._replacements[form] = REMOVED
        self._pattern = None

    def sample_pseudonym(self, name: str) -> str:
        """Pseudonym of a sample name (registering it)."""
        return self.add_sample(name)

    # text ----------------------------------------------------------------------------------
    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._replacements:
            pieces, lookup = [], {}
            # Longest first, so that "John Smith" wins over "Smith".
            for i, text in enumerate(sorted(self._replacements, key=len, reverse=True)):
                pattern = _token_pattern(text) if re.search(r"[0-9A-Za-z]", text) else re.escape(text)
                if pattern is None:
                    continue
                group = f"g{i}"
                pieces.append(f"(?P<{group}>{pattern})")
                lookup[group] = self._replacements[text]
            self._pattern = re.compile("|".join(pieces), re.IGNORECASE)
            self._lookup = lookup
        return self._pattern

    def _identifiers(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is None:
            return text
        return pattern.sub(lambda m: self._lookup[m.lastgroup], text)

    def _path(self, match: re.Match[str]) -> str:
        path = match.group(1) if match.re is not _WINDOWS_PATH else match.group(0)
        name = re.split(r"[\\/]", path.rstrip("/\\"))[-1]
        return self._identifiers(name) if name else PATH_REMOVED

    def text(self, text: str) -> str:
        """Scrub free text: paths first (to their file name), then registered identifiers."""
        if not text:
            return text
        if self.paths:
            text = _FILE_URI.sub(self._path, text)
            text = _WINDOWS_PATH.sub(self._path, text)
            text = _POSIX_PATH.sub(self._path, text)
        return self._identifiers(text)

    def value(self, value):
        """Scrub one table value (strings only; other values pass through)."""
        return self.text(value) if isinstance(value, str) else value

    # tables --------------------------------------------------------------------------------
    def frame(self, frame: pd.DataFrame, *, sample_columns: Iterable[str] = (),
              patient_columns: Iterable[str] = ()) -> pd.DataFrame:
        """A scrubbed copy: identifier columns pseudonymised, other text columns scrubbed."""
        out = frame.copy()
        sample_columns, patient_columns = set(sample_columns), set(patient_columns)
        for column in out.columns:
            series = out[column]
            if column in patient_columns:
                out[column] = series.map(lambda v: self.add_patient(v) if _present(v) else v)
            elif column in sample_columns:
                out[column] = series.map(lambda v: self.add_sample(v) if _present(v) else v)
            elif series.dtype == object or pd.api.types.is_string_dtype(series):
                out[column] = series.map(self.value)
        out.columns = [self.text(str(c)) for c in out.columns]
        return out

    def maf(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A scrubbed MAF table: barcodes and UUIDs pseudonymised, free text scrubbed."""
        ids = [c for c in frame.columns if c.lower() in _MAF_ID_SET]
        return self.frame(frame, sample_columns=ids)

    # VCF -----------------------------------------------------------------------------------
    def vcf_line(self, line: str) -> str | None:
        """Scrub one VCF line; None when the line must be dropped (command lines, pedigrees)."""
        if line.startswith("##"):
            key = line[2:].split("=", 1)[0]
            if _COMMAND_KEY.search(key):
                return None
            if key == "SAMPLE":
                found = re.search(r"ID=([^,>]+)", line)
                if found is None:
                    return None
                return f"##SAMPLE=<ID={self.add_sample(found.group(1))}>"
            return self.text(line)
        if line.startswith("#CHROM"):
            fields = line.rstrip("\r\n").split("\t")
            fixed, samples = fields[:9], fields[9:]
            ending = line[len(line.rstrip("\r\n")):]
            return "\t".join(fixed + [self.add_sample(s) for s in samples]) + ending
        return self._identifiers(line)

    def vcf_text(self, text: str) -> str:
        """Scrub the text of a whole VCF (header and records)."""
        out = []
        for line in text.splitlines(keepends=True):
            scrubbed = self.vcf_line(line)
            if scrubbed is not None:
                out.append(scrubbed)
        return "".join(out)


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and str(value) != ""
