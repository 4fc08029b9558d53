"""The result of an annotation: the ranked findings table, per-sample summaries, provenance."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oncoresist._core.atomic import write_text_atomic
from oncoresist._core.exceptions import InputError
from oncoresist._core.provenance import Provenance
from oncoresist._core.tables import write_table
from oncoresist.annotate._engine import OUTPUT_COLUMNS
from oncoresist.annotate._summary import render_html, render_text, sample_summaries

PathLike = str | os.PathLike[str]


@dataclass
class AnnotationResult:
    """Alterations × drugs in a therapy context, ranked, with per-sample summaries.

    Attributes
    ----------
    table
        Every finding (one row per sample alteration × drug × rule, or one inferred / "no
        known effect" row), ranked within each sample; see :meth:`to_frame`.
    therapy, history
        Canonical names of the drugs given now and before.
    disease
        The disease as given (None: not given).
    samples
        Samples in input order.
    problems
        Input records that could not be interpreted (``line``, ``reason``).
    skipped
        Input records left out on purpose, by reason (non-coding, genes the knowledge base and
        pathway graph do not mention, ...).
    kb_version
        Version of the knowledge base used.
    provenance
        Where the result came from.
    """

    table: pd.DataFrame
    therapy: tuple[str, ...]
    history: tuple[str, ...] = ()
    disease: str | None = None
    samples: tuple[str, ...] = ()
    problems: tuple = ()
    skipped: dict[str, int] = field(default_factory=dict)
    kb_version: str = ""
    provenance: Provenance | None = None

    def __len__(self) -> int:
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        """The findings table: one row per sample alteration × drug × rule, ranked per sample.

        Columns: ``sample_id gene alteration vaf depth copy_number drug context effect mechanism
        evidence_level confidence disease_match rule_disease inferred co_occurrence rule_id
        sources references alternatives alternatives_excluded path rank line``.

        Examples
        --------
        >>> from oncoresist.annotate import annotate
        >>> frame = annotate(["EGFR T790M"], therapy="erlotinib").to_frame()
        >>> frame.loc[0, ["alteration", "effect", "mechanism"]].tolist()
        ['EGFR p.T790M', 'resistance', 'on-target']
        """
        return self.table.loc[:, list(OUTPUT_COLUMNS)].copy()

    def summaries(self) -> list[dict[str, Any]]:
        """Per-sample summaries as plain data (mechanisms by class, inferred, options).

        Examples
        --------
        >>> from oncoresist.annotate import annotate
        >>> first = annotate(["MET amplification"], therapy="osimertinib").summaries()[0]
        >>> list(first["mechanisms"])
        ['bypass']
        """
        return sample_summaries(self.table, self.samples)

    def _header(self) -> list[str]:
        history = f"; history: {', '.join(self.history)}" if self.history else ""
        disease = f"; disease: {self.disease}" if self.disease else ""
        lines = [f"Therapy: {' + '.join(self.therapy)}{history}{disease}",
                 f"Knowledge base {self.kb_version}"]
        if self.problems:
            shown = "; ".join(str(p) for p in self.problems[:3])
            more = f" (+{len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
            lines.append(f"{len(self.problems)} input record(s) could not be interpreted: "
                         f"{shown}{more}")
        return lines

    @staticmethod
    def _footer() -> list[str]:
        from oncoresist import RESEARCH_USE_STATEMENT

        return [RESEARCH_USE_STATEMENT]

    def summary(self) -> str:
        """A readable per-sample summary: resistance by mechanism class, options next.

        Examples
        --------
        >>> from oncoresist.annotate import annotate
        >>> text = annotate(["EGFR T790M"], therapy="erlotinib").summary()
        >>> "on-target:" in text and "osimertinib" in text
        True
        """
        return render_text(self.summaries(), self._header(), self._footer())

    def to_html(self) -> str:
        """The summary and the findings as one self-contained HTML page.

        Examples
        --------
        >>> from oncoresist.annotate import annotate
        >>> annotate(["EGFR T790M"], therapy="erlotinib").to_html().startswith("<!DOCTYPE html>")
        True
        """
        return render_html(self.summaries(), self._header(), self._footer(), self.to_frame())

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: findings, summaries, problems, skipped counts, provenance.

        Examples
        --------
        >>> from oncoresist.annotate import annotate
        >>> sorted(annotate(["EGFR T790M"], therapy="erlotinib").to_dict())[:3]
        ['disease', 'findings', 'history']
        """
        frame = self.to_frame()
        return {
            "therapy": list(self.therapy),
            "history": list(self.history),
            "disease": self.disease,
            "kb_version": self.kb_version,
            "samples": list(self.samples),
            "findings": json.loads(frame.to_json(orient="records")),
            "summaries": self.summaries(),
            "problems": [{"line": p.line, "reason": p.reason} for p in self.problems],
            "skipped": dict(sorted(self.skipped.items())),
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
        }

    def write(self, path: PathLike, *, format: str | None = None) -> Path:
        """Write the findings as TSV (with a provenance sidecar) or everything as JSON.

        Parameters
        ----------
        path
            Output file; written atomically.
        format
            ``tsv`` or ``json``; by default from the suffix (``.json`` is JSON, else TSV).

        Returns
        -------
        Path
            The file written.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from oncoresist.annotate import annotate
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "findings.tsv"
        >>> _ = annotate(["EGFR T790M"], therapy="erlotinib").write(out)
        >>> out.read_text().split("\\t")[:3]
        ['sample_id', 'gene', 'alteration']
        """
        target = Path(path)
        chosen = (format or ("json" if target.suffix.lower() == ".json" else "tsv")).lower()
        if chosen == "json":
            text = json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n"
            return write_text_atomic(target, text)
        if chosen != "tsv":
            msg = f"unknown output format {format!r}; use 'tsv' or 'json'"
            raise InputError(msg, field="format")
        return write_table(self.to_frame(), target, provenance=self.provenance)

    def write_html(self, path: PathLike) -> Path:
        """Write :meth:`to_html` to ``path``, atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from oncoresist.annotate import annotate
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
        >>> _ = annotate(["EGFR T790M"], therapy="erlotinib").write_html(out)
        >>> "research tool" in out.read_text()
        True
        """
        return write_text_atomic(Path(path), self.to_html())
