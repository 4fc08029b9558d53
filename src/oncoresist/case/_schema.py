"""The case file: one patient's data and what to do with it (YAML, validated by pydantic).

The prose contract is docs/case.md ("The case file"); every field below is described there.
Paths are relative to the case file. Days are whole numbers relative to a reference day chosen
by the user (day 0 is usually the start of the first therapy line): no calendar dates, so that
a case file carries no date that could identify a patient.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Version of the case-file schema; bump with a migration note in docs/case.md.
SCHEMA_VERSION = 1

# GA4GH Data Use Ontology (DUO) codes. A case has exactly one *permission* (what research the
# data may be used for) and any number of *modifiers* (conditions on that use).
DUO_PERMISSIONS = ("NRES", "GRU", "HMB", "POA")  # plus DS-<disease>
DUO_MODIFIERS = (
    "NCU", "NPU", "NMDS", "GSO", "PUB", "COL", "IRB", "MOR", "TS", "US", "PS", "IS", "RTN",
    "CC", "NPOA",
)  # plus GS-<region>
_DS = re.compile(r"^DS-[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_GS = re.compile(r"^GS-[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

#: Calibrated parameters, in the order used everywhere (posterior tables, figures).
PARAMETERS = (
    "growth_sensitive",
    "growth_resistant",
    "kill",
    "resistant_fraction",
    "shedding",
)

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class _Strict(BaseModel):
    model_config = _STRICT


class TherapyLine(_Strict):
    """One line of therapy already given: drug(s), first and last day (None = ongoing)."""

    drugs: list[str] = Field(min_length=1)
    start_day: int
    end_day: int | None = None

    @field_validator("drugs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("drugs")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        if any(not d.strip() for d in value):
            msg = "drug names must not be empty"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TherapyLine:
        if self.end_day is not None and self.end_day < self.start_day:
            msg = (
                f"end_day ({self.end_day}) is before start_day ({self.start_day}); "
                "give the last day the drug was taken, or leave end_day out if it is ongoing"
            )
            raise ValueError(msg)
        return self


class Sequencing(_Strict):
    """A tumour (or plasma) sequencing result: VCF or MAF file, sample name, day sampled."""

    path: str
    format: Literal["vcf", "maf", "tsv"] | None = None
    sample: str | None = None
    day: int

    @model_validator(mode="after")
    def _format(self) -> Sequencing:
        if self.format is None:
            name = self.path.lower().removesuffix(".gz").removesuffix(".bgz")
            guessed = "vcf" if name.endswith(".vcf") else "maf" if name.endswith(".maf") else None
            if guessed is None and name.endswith((".tsv", ".txt")):
                guessed = "tsv"
            if guessed is None:
                msg = (
                    f"cannot tell the format of {self.path!r} from its name; "
                    "add format: vcf, maf or tsv"
                )
                raise ValueError(msg)
            object.__setattr__(self, "format", guessed)
        return self


class CtDNA(_Strict):
    """Serial ctDNA table (the ``oncoresist.ctdna`` long format) and optional panel of normals."""

    path: str
    normals: str | None = None
    patient_id: str | None = None


class Clonal(_Strict):
    """Multi-sample clonal input in PyClone-VI TSV format."""

    path: str
    clusters: int | None = Field(default=None, ge=1, le=40)
    days: dict[str, int] = Field(default_factory=dict)


class Imaging(_Strict):
    """Imaging table: ``day``, ``result`` (RECIST CR/PR/SD/PD) and optional ``burden``."""

    path: str
    burden_unit: str = "mm"


class StrategySpec(_Strict):
    """A strategy to forecast; its fields depend on ``kind``."""

    name: str = Field(min_length=1, max_length=60)
    kind: Literal["continuous", "combination", "sequential", "intermittent", "adaptive"]
    drugs: list[str] = Field(min_length=1)
    on_days: float | None = Field(default=None, gt=0)
    off_days: float | None = Field(default=None, gt=0)
    stop_fraction: float | None = Field(default=None, gt=0, lt=1)
    restart_fraction: float | None = Field(default=None, gt=0)

    @field_validator("drugs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _fields_for_kind(self) -> StrategySpec:
        kind = self.kind
        if kind == "continuous" and len(self.drugs) != 1:
            msg = f"a continuous strategy gives one drug; got {len(self.drugs)}: use kind: combination"
            raise ValueError(msg)
        if kind in ("combination", "sequential") and len(self.drugs) < 2:
            msg = f"a {kind} strategy needs at least two drugs; got {self.drugs}"
            raise ValueError(msg)
        if kind == "intermittent" and (self.on_days is None or self.off_days is None):
            msg = "an intermittent strategy needs on_days and off_days"
            raise ValueError(msg)
        if kind != "intermittent" and (self.on_days is not None or self.off_days is not None):
            msg = f"on_days/off_days apply to intermittent strategies only, not {kind}"
            raise ValueError(msg)
        if kind != "adaptive" and (self.stop_fraction is not None or self.restart_fraction is not None):
            msg = f"stop_fraction/restart_fraction apply to adaptive strategies only, not {kind}"
            raise ValueError(msg)
        return self


class Prior(_Strict):
    """A prior distribution of one calibrated parameter."""

    distribution: Literal["loguniform", "uniform"]
    low: float
    high: float
    source: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Prior:
        if not self.low < self.high:
            msg = f"low ({self.low}) must be below high ({self.high})"
            raise ValueError(msg)
        if self.distribution == "loguniform" and self.low <= 0:
            msg = f"a loguniform prior needs low > 0; got {self.low}"
            raise ValueError(msg)
        return self


class Priors(_Strict):
    """Priors of the calibrated parameters; the defaults are documented in docs/case.md."""

    growth_sensitive: Prior = Prior(
        distribution="loguniform", low=0.001, high=0.05,
        source="Bozic et al. 2013 eLife doi:10.7554/eLife.00747 (b - d = 0.01/day)",
    )
    growth_resistant: Prior = Prior(
        distribution="loguniform", low=0.001, high=0.05,
        source="Bozic et al. 2013 eLife doi:10.7554/eLife.00747 (resistant cells keep b - d)",
    )
    kill: Prior = Prior(
        distribution="loguniform", low=0.005, high=0.2,
        source="Bozic et al. 2013 eLife doi:10.7554/eLife.00747 (drug adds 0.04/day to death)",
    )
    resistant_fraction: Prior = Prior(
        distribution="loguniform", low=1e-10, high=1e-1,
        source="Diaz et al. 2012 Nature doi:10.1038/nature11219 (resistant cells pre-exist)",
    )
    shedding: Prior = Prior(
        distribution="loguniform", low=1e-3, high=0.8,
        source="tumour fraction of cfDNA in advanced cancers spans 0.1%-80%",
    )


class Calibration(_Strict):
    """How to calibrate the model to this patient and how many forecasts to draw."""

    method: Literal["smc", "none"] = "smc"
    particles: int = Field(default=400, ge=50, le=100_000)
    mcmc_steps: int = Field(default=4, ge=1, le=50)
    error_rate: float = Field(default=1e-4, ge=0, lt=0.05)
    imaging_sd: float = Field(default=0.1, gt=0, le=2)
    overdispersion: float = Field(default=0.0, ge=0, lt=0.5)
    priors: Priors = Priors()


class Forecast(_Strict):
    """Forecast settings: horizon, number of posterior draws, progression rule, costs."""

    horizon_days: int = Field(default=1095, ge=30, le=36_500)
    start_day: int | None = None
    draws: int = Field(default=200, ge=10, le=100_000)
    progression_increase: float = Field(default=0.2, gt=0, le=5)
    resistance_majority: float = Field(default=0.5, gt=0, lt=1)
    drug_cost_per_day: dict[str, float] = Field(default_factory=dict)


class Mutation(_Strict):
    """De novo resistance by mutation during therapy (per division, after Bozic et al. 2013)."""

    rate: float = Field(default=1e-9, ge=0, le=1e-3)
    birth_rate: float = Field(default=0.14, gt=0, le=5)
    sites: dict[str, int] = Field(default_factory=dict)
    unknown_sites: Prior = Prior(
        distribution="loguniform", low=1.0, high=50.0,
        source="Bozic et al. 2013 eLife doi:10.7554/eLife.00747 (one cross-resistance mutation "
               "up to ~50 resistance mutations per targeted agent)",
    )

    @field_validator("sites")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            msg = f"numbers of resistance-conferring sites must be >= 0; got {bad}"
            raise ValueError(msg)
        return value

    @field_validator("unknown_sites")
    @classmethod
    def _positive_prior(cls, value: Prior) -> Prior:
        if value.low < 0:
            msg = f"the unknown-resistance sites prior must not go below 0; got low={value.low}"
            raise ValueError(msg)
        return value


class Case(_Strict):
    """A patient case file (``case.yaml``)."""

    schema_version: Literal[1] = 1
    pseudonym: str
    disease: str = Field(min_length=1)
    consent: list[str] = Field(min_length=1)
    seed: int = Field(default=1, ge=0)
    therapy_history: list[TherapyLine] = Field(min_length=1)
    sequencing: list[Sequencing] = Field(default_factory=list)
    ctdna: CtDNA | None = None
    clonal: Clonal | None = None
    imaging: Imaging | None = None
    strategies: Annotated[list[StrategySpec], Field(min_length=1)]
    calibration: Calibration = Calibration()
    forecast: Forecast = Forecast()
    mutation: Mutation = Mutation()

    @field_validator("pseudonym")
    @classmethod
    def _pseudonym(cls, value: str) -> str:
        if not _PSEUDONYM.match(value):
            msg = (
                f"{value!r} is not a pseudonym: use 1-64 letters, digits, '.', '_' or '-' "
                "(no spaces), never a name or a hospital number"
            )
            raise ValueError(msg)
        return value

    @field_validator("consent", mode="before")
    @classmethod
    def _consent_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: list[str]) -> list[str]:
        codes = [c.strip().upper() if not c.strip().upper().startswith(("DS-", "GS-")) else c.strip()
                 for c in value]
        permissions = [c for c in codes if c in DUO_PERMISSIONS or _DS.match(c)]
        unknown = [
            c for c in codes
            if c not in DUO_PERMISSIONS and c not in DUO_MODIFIERS and not _DS.match(c) and not _GS.match(c)
        ]
        if unknown:
            msg = (
                f"unknown GA4GH Data Use Ontology code(s) {unknown}; use one permission "
                f"({', '.join(DUO_PERMISSIONS)} or DS-<disease>) and any modifiers "
                f"({', '.join(DUO_MODIFIERS)}, GS-<region>)"
            )
            raise ValueError(msg)
        if len(permissions) != 1:
            msg = (
                f"give exactly one data-use permission (NRES, GRU, HMB, POA or DS-<disease>); "
                f"found {permissions or 'none'}"
            )
            raise ValueError(msg)
        if len(set(codes)) != len(codes):
            msg = f"consent codes repeat: {codes}"
            raise ValueError(msg)
        return codes

    @field_validator("therapy_history")
    @classmethod
    def _history(cls, lines: list[TherapyLine]) -> list[TherapyLine]:
        for i, (a, b) in enumerate(zip(lines, lines[1:], strict=False), start=1):
            if b.start_day < a.start_day:
                msg = (
                    f"line {i + 1} starts on day {b.start_day}, before line {i} (day {a.start_day}); "
                    "list therapy lines in the order they were given"
                )
                raise ValueError(msg)
            if a.end_day is None:
                msg = (
                    f"line {i} has no end_day but line {i + 1} follows it; only the last line "
                    "may be ongoing"
                )
                raise ValueError(msg)
            if b.start_day <= a.end_day:
                msg = (
                    f"line {i + 1} starts on day {b.start_day}, not after line {i} ended "
                    f"(day {a.end_day}); lines must not overlap (give a combination as one line "
                    "with several drugs)"
                )
                raise ValueError(msg)
        return lines

    @field_validator("strategies")
    @classmethod
    def _unique_names(cls, specs: list[StrategySpec]) -> list[StrategySpec]:
        names = [s.name for s in specs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            msg = f"strategy names must be unique; repeated: {repeated}"
            raise ValueError(msg)
        return specs

    @property
    def permission(self) -> str:
        """The DUO permission code of the consent."""
        return next(c for c in self.consent if c in DUO_PERMISSIONS or _DS.match(c))
