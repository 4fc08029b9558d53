"""Pseudonym keys: HMAC-SHA256 pseudonyms and per-patient date offsets derived from one secret."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from oncoresist._core.exceptions import InputError

KEY_FORMAT = "oncoresist-pseudonym-key"
KEY_BYTES = 32
PATIENT_PREFIX = "PSN-"
SAMPLE_PREFIX = "SMP-"
# 20 hex digits = 80 bits: collisions among a million patients have probability ~4e-13.
_PATIENT_HEX = 20
_SAMPLE_HEX = 16


@dataclass(frozen=True, repr=False)
class PseudonymKey:
    """The secret behind pseudonyms and date offsets.

    Attributes
    ----------
    secret
        32 random bytes. Whoever has them can re-identify; keep the key file outside the store
        and outside every output folder.
    max_date_shift_days
        Dates of a patient are shifted by a whole number of days in
        ``[-max_date_shift_days, +max_date_shift_days]``, the same for all of that patient's dates.
    """

    secret: bytes
    max_date_shift_days: int = 180

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            msg = f"a pseudonym key needs at least 16 secret bytes, got {len(self.secret)}"
            raise InputError(msg, field="key")
        if self.max_date_shift_days < 0:
            msg = f"max_date_shift_days must be >= 0, got {self.max_date_shift_days}"
            raise InputError(msg, field="max_date_shift_days")

    def __repr__(self) -> str:  # never print the secret
        return f"PseudonymKey(key_id={self.key_id!r}, max_date_shift_days={self.max_date_shift_days})"

    @classmethod
    def from_hex(cls, text: str, *, max_date_shift_days: int = 180) -> PseudonymKey:
        """Build a key from hex text (tests, or a key kept in a secrets manager)."""
        try:
            secret = bytes.fromhex(text.strip())
        except ValueError:
            msg = "the key must be hexadecimal text (64 hex digits for 32 bytes)"
            raise InputError(msg, field="key") from None
        return cls(secret, max_date_shift_days)

    @property
    def key_id(self) -> str:
        """A public fingerprint of the key (domain-separated hash); it does not reveal the key."""
        return hashlib.sha256(b"oncoresist key id\x00" + self.secret).hexdigest()[:16]

    def digest(self, domain: str, value: str) -> str:
        """Hex HMAC-SHA256 of ``value`` under ``domain`` (patient, sample, date-shift, ...)."""
        message = domain.encode() + b"\x00" + str(value).encode("utf-8")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def patient(self, identifier: str) -> str:
        """The patient's pseudonym."""
        return PATIENT_PREFIX + self.digest("patient", _norm(identifier))[:_PATIENT_HEX].upper()

    def sample(self, sample: str, patient: str | None = None) -> str:
        """A sample's (or barcode's) pseudonym; with ``patient``, one qualified by the patient
        (labs reuse names such as ``plasma1`` across patients)."""
        text = str(sample).strip()
        if patient is not None:
            text = f"{patient}\x1f{text}"
        return SAMPLE_PREFIX + self.digest("sample", text)[:_SAMPLE_HEX].upper()

    def date_offset(self, identifier: str) -> int:
        """The patient's date offset in days."""
        if self.max_date_shift_days == 0:
            return 0
        span = 2 * self.max_date_shift_days + 1
        value = int(self.digest("date-shift", _norm(identifier)), 16)
        return value % span - self.max_date_shift_days

    def to_json(self) -> str:
        """The key file's text."""
        return json.dumps({
            "format": KEY_FORMAT, "version": 1, "key": self.secret.hex(),
            "max_date_shift_days": self.max_date_shift_days, "key_id": self.key_id,
        }, indent=2, sort_keys=True) + "\n"


def _norm(identifier: str) -> str:
    # The same patient written with stray spaces or another case gets the same pseudonym.
    text = str(identifier).strip()
    if not text:
        msg = "a patient identifier is empty; give the case a patient identifier"
        raise InputError(msg, field="patient")
    return " ".join(text.split()).upper()


def write_key(path: str | os.PathLike[str], key: PseudonymKey, *, overwrite: bool = False) -> Path:
    target = Path(path)
    if target.exists() and not overwrite:
        msg = ("a key file already exists here; overwriting it would unlink every pseudonym made "
               "with it. Choose another path, or pass overwrite=True / --force if that is intended")
        raise InputError(msg, path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def new_key(max_date_shift_days: int = 180) -> PseudonymKey:
    # A secret must come from the operating system's CSPRNG, not from a seeded generator.
    return PseudonymKey(secrets.token_bytes(KEY_BYTES), max_date_shift_days)


def read_key(path: str | os.PathLike[str]) -> PseudonymKey:
    source = Path(path)
    if not source.is_file():
        msg = ("no key file here; create one with `oncoresist store keygen KEYFILE` and keep it "
               "outside the store and the output folders")
        raise InputError(msg, path=source)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"is not an oncoresist key file (not JSON: {exc})"
        raise InputError(msg, path=source) from None
    if not isinstance(doc, dict) or doc.get("format") != KEY_FORMAT or "key" not in doc:
        msg = f"is not an oncoresist key file (expected format {KEY_FORMAT!r} and a 'key' field)"
        raise InputError(msg, path=source)
    shift = doc.get("max_date_shift_days", 180)
    if not isinstance(shift, int) or isinstance(shift, bool):
        msg = f"max_date_shift_days must be a whole number of days, got {shift!r}"
        raise InputError(msg, path=source, field="max_date_shift_days")
    try:
        key = PseudonymKey.from_hex(str(doc["key"]), max_date_shift_days=shift)
    except InputError as exc:
        raise InputError(exc.message, path=source, field="key") from None
    if "key_id" in doc and doc["key_id"] != key.key_id:
        msg = "the key file's key_id does not match its key; the file was altered or damaged"
        raise InputError(msg, path=source, field="key_id")
    return key


def shift(value: dt.date | str, offset_days: int) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            msg = f"expected an ISO date (YYYY-MM-DD), got {value!r}"
            raise InputError(msg, field="date") from None
    if isinstance(value, dt.datetime):
        value = value.date()
    return value + dt.timedelta(days=int(offset_days))
