"""MultiQC custom content: ``*_mqc.tsv`` tables and ``*_mqc.yaml`` line graphs.

Format as MultiQC reads it (docs "Custom Content"): a TSV whose leading ``#`` lines hold YAML
configuration (``id``, ``section_name``, ``description``, ``plot_type``), the first column being
the row (sample) name; or a YAML file with the configuration and a ``data`` mapping.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from oncoresist._core import write_text_atomic


def _yaml_scalar(text: str) -> str:
    # JSON strings are valid YAML scalars and escape everything that needs it
    return json.dumps(str(text), ensure_ascii=False)


def _value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    return str(value).replace("\t", " ").replace("\n", " ")


def multiqc_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    id: str,  # noqa: A002 - MultiQC's own key
    section_name: str,
    description: str,
) -> Path:
    """Write ``frame`` as a MultiQC custom-content table (first column = row names)."""
    lines = [
        f"# id: {_yaml_scalar(id)}",
        f"# section_name: {_yaml_scalar(section_name)}",
        f"# description: {_yaml_scalar(description)}",
        "# plot_type: 'table'",
        "# pconfig:",
        f"#     id: {_yaml_scalar(id + '_table')}",
        f"#     title: {_yaml_scalar(section_name)}",
        "\t".join(str(c) for c in frame.columns),
    ]
    for record in frame.itertuples(index=False):
        values = [v.item() if hasattr(v, "item") else v for v in record]
        lines.append("\t".join(_value(v) for v in values))
    return write_text_atomic(path, "\n".join(lines) + "\n")


def multiqc_linegraph(
    series: Mapping[str, Mapping[float, float]],
    path: str | os.PathLike[str],
    *,
    id: str,  # noqa: A002 - MultiQC's own key
    section_name: str,
    description: str,
    xlab: str,
    ylab: str,
) -> Path:
    """Write line series (name -> {x: y}) as a MultiQC custom-content line graph (YAML)."""
    lines = [
        f"id: {_yaml_scalar(id)}",
        f"section_name: {_yaml_scalar(section_name)}",
        f"description: {_yaml_scalar(description)}",
        "plot_type: 'linegraph'",
        "pconfig:",
        f"  id: {_yaml_scalar(id + '_plot')}",
        f"  title: {_yaml_scalar(section_name)}",
        f"  xlab: {_yaml_scalar(xlab)}",
        f"  ylab: {_yaml_scalar(ylab)}",
        "data:",
    ]
    for name, points in series.items():
        lines.append(f"  {_yaml_scalar(name)}:")
        lines += [f"    {_value(float(x))}: {_value(float(y))}" for x, y in points.items()]
    return write_text_atomic(path, "\n".join(lines) + "\n")
