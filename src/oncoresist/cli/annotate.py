"""``oncoresist annotate INPUT --therapy DRUG``: resistance annotation of a sample's alterations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from oncoresist._core import InputError
from oncoresist.cli._common import err_console


def _pseudonymised(result, key: Path, patient: str | None):
    """The result with its sample names and barcodes replaced by keyed pseudonyms (--key)."""
    import dataclasses

    import pandas as pd

    from oncoresist.privacy import load_key, pseudonymise_ids

    secret = load_key(key)
    options = dict(patient_columns=(), sample_columns=("sample_id",), patient=patient)
    names = pd.DataFrame({"sample_id": list(result.samples)})
    renamed = pseudonymise_ids(names, secret, **options)["sample_id"]
    provenance = result.provenance and result.provenance.without_input_names()  # names may be a patient's
    return dataclasses.replace(result, table=pseudonymise_ids(result.table, secret, **options),
                               samples=tuple(renamed), provenance=provenance)


def _annotate(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="VCF (VEP CSQ / SnpEff ANN; plain or bgzipped), GDC MAF or TSV.")],
    therapy: Annotated[str, typer.Option(
        "--therapy", help="Drug(s) given now, comma-separated for a combination.")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Findings table to write (TSV, or JSON with --format json).")],
    disease: Annotated[str | None, typer.Option(
        "--disease", help="The patient's disease, e.g. NSCLC or 'colorectal cancer'.")] = None,
    history: Annotated[str | None, typer.Option(
        "--history", help="Drugs given before, comma-separated (e.g. erlotinib,osimertinib).")
    ] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first record that cannot be interpreted.")] = False,
    transcript: Annotated[str | None, typer.Option(
        "--transcript", help="VCF: use this transcript's protein change (default: canonical).")
    ] = None,
    input_format: Annotated[str | None, typer.Option(
        "--input-format", help="vcf, maf or tsv (default: detected from the content).")] = None,
    output_format: Annotated[str | None, typer.Option(
        "--format", help="Output format: tsv or json (default: from the output's suffix).")
    ] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Also write an HTML summary here.")] = None,
    no_infer: Annotated[bool, typer.Option(
        "--no-infer", help="Do not report inferred (pathway-graph) mechanisms.")] = False,
    kb_extra: Annotated[list[Path] | None, typer.Option(
        "--kb-extra", help="Extra rule file (curated YAML schema); repeatable.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the summary.")] = False,
    key: Annotated[Path | None, typer.Option(
        "--key", help="Secret pseudonymisation key file (`oncoresist store keygen`): sample names "
        "and barcodes in the outputs and printed lines become SMP- pseudonyms.")] = None,
    patient: Annotated[str | None, typer.Option(
        "--patient", help="With --key: the patient the samples come from; sample pseudonyms are "
        "then qualified by the patient's pseudonym, as in the store.")] = None,
) -> None:
    """Annotate INPUT for resistance to --therapy; write the findings and print a summary."""
    from oncoresist.annotate import annotate

    if patient is not None and key is None:
        msg = "--patient only qualifies sample pseudonyms: give it together with --key"
        raise InputError(msg, field="--patient")
    result = annotate(
        input_path,
        therapy=therapy,
        history=history,
        disease=disease,
        format=input_format,
        strict=strict,
        transcript=transcript,
        infer=not no_infer,
        kb_extra=kb_extra or None,
    )
    if key is not None:
        result = _pseudonymised(result, key, patient)
    result.write(output, format=output_format)
    if html is not None:
        result.write_html(html)
    for problem in result.problems:
        # With --key the folders of the input path are not printed (they often name the patient).
        shown = input_path.name if key is not None else input_path
        err_console.print(f"warning: {shown}, {problem}", markup=False, highlight=False,
                          soft_wrap=True)
    if not quiet:
        sys.stdout.write(result.summary())


def register(root: typer.Typer) -> None:
    root.command(
        "annotate",
        help="Annotate a VCF/MAF/TSV of tumour or plasma alterations for drug resistance.",
    )(_annotate)
