"""The content of a marketing export: an Excel workbook or one CSV row per model.

The workbook holds the sheets ``Summary``, ``Models``, ``Coefficients``,
``Contributions``, ``Elasticities & ROI`` and ``Transform parameters``, and a
bar chart of the best model's contributions on the summary sheet. Every text
cell goes through :func:`spreadsheet_safe`, so no cell runs as a formula.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import xlsxwriter

from buildatom.services.marketing_results import METRICS
from buildatom.services.result_exports import spreadsheet_safe

SHEETS = (
    "Summary",
    "Models",
    "Coefficients",
    "Contributions",
    "Elasticities & ROI",
    "Transform parameters",
)
MODEL_COLUMNS = ("model_id", "combination_id")
Table = tuple[list[str], list[list[Any]]]


@dataclass(frozen=True)
class ExportContent:
    """Everything an export shows, read before anything is written.

    ``models`` are model views (:func:`~buildatom.services.marketing_results.
    model_view`); ``best_contributions`` are the shares of the model with the
    lowest mape, computed when its stored ones are missing.
    """

    run: Mapping[str, Any]
    models: Sequence[Mapping[str, Any]]
    transform_records: Sequence[Mapping[str, Any]]
    best_model_id: int | None
    best_contributions: Mapping[str, float | None]


def write_csv(target: IO[bytes], content: ExportContent) -> int:
    """One row per model: identity, metrics, coefficients, effects."""
    header, rows = model_table(content)
    text = codecs.getwriter("utf-8")(target)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([spreadsheet_safe(name) for name in header])
    for row in rows:
        writer.writerow(
            ["" if cell is None else spreadsheet_safe(cell) for cell in row]
        )
    text.flush()
    return len(rows)


def write_workbook(target: IO[bytes], content: ExportContent) -> int:
    """The six sheets and the contribution chart; returns the model count."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
        },
    )
    bold = workbook.add_format({"bold": True})
    tables = {
        "Summary": _summary_table(content),
        "Models": _models_sheet(content),
        "Coefficients": _wide_table(content, "coefficients"),
        "Contributions": _wide_table(content, "contributions"),
        "Elasticities & ROI": _effects_table(content),
        "Transform parameters": _transform_table(content),
    }
    for name in SHEETS:
        sheet = workbook.add_worksheet(name)
        header, rows = tables[name]
        _write_rows(sheet, [header, *rows], bold)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, max(len(header) - 1, 0), 16)
    _add_chart(workbook, workbook.get_worksheet_by_name("Summary"), content, bold)
    workbook.close()
    return len(content.models)


def model_table(content: ExportContent) -> Table:
    """The CSV table: one row per model."""
    identifiers = _identifier_names(content.models)
    coefficients = _names(content.models, "coefficients")
    contributions = _names(content.models, "contributions")
    media = _names(content.models, "elasticities")
    header = [
        "training_id",
        *MODEL_COLUMNS,
        *identifiers,
        "brand",
        "market",
        "region",
        "y_variable",
        "model_type",
        *METRICS,
        "n_train",
        "n_test",
        *(f"coef_{name}" for name in coefficients),
        *(f"contribution_{name}" for name in contributions),
        *(f"elasticity_{name}" for name in media),
        *(f"roi_{name}" for name in media),
    ]
    rows = [
        [
            model["training_id"],
            *_lead(model)[:2],
            *(model["identifiers"].get(name) for name in identifiers),
            *_lead(model)[2:],
            *(model[metric] for metric in METRICS),
            model["n_train"],
            model["n_test"],
            *_cells(model["coefficients"], coefficients),
            *_cells(model["contributions"], contributions),
            *_cells(model["elasticities"], media),
            *_cells(model["roi"], media),
        ]
        for model in content.models
    ]
    return header, rows


def _lead(model: Mapping[str, Any]) -> list[Any]:
    return [
        model["model_id"],
        model["combination_id"],
        model["brand"],
        ", ".join(model["market"]),
        ", ".join(model["region"]),
        model["y_variable"],
        model["model_type"],
    ]


def _models_sheet(content: ExportContent) -> Table:
    header = [
        *MODEL_COLUMNS,
        "brand",
        "market",
        "region",
        "y_variable",
        "model_type",
        *METRICS,
        "n_train",
        "n_test",
    ]
    rows = [
        [*_lead(m), *(m[metric] for metric in METRICS), m["n_train"], m["n_test"]]
        for m in content.models
    ]
    return header, rows


def _wide_table(content: ExportContent, field: str) -> Table:
    names = _names(content.models, field)
    header = [*MODEL_COLUMNS, "y_variable", "model_type", *names]
    rows = [
        [
            m["model_id"],
            m["combination_id"],
            m["y_variable"],
            m["model_type"],
            *_cells(m[field], names),
        ]
        for m in content.models
    ]
    return header, rows


def _effects_table(content: ExportContent) -> Table:
    header = [*MODEL_COLUMNS, "y_variable", "model_type", "media", "elasticity", "roi"]
    rows = [
        [
            m["model_id"],
            m["combination_id"],
            m["y_variable"],
            m["model_type"],
            media,
            value,
            (m["roi"] or {}).get(media),
        ]
        for m in content.models
        for media, value in (m["elasticities"] or {}).items()
    ]
    return header, rows


def _transform_table(content: ExportContent) -> Table:
    header = [
        "combination_id",
        "variable",
        "role",
        "transformation",
        "params",
        "region",
        "peak",
        "min",
        "max",
        "mean",
        "std",
    ]
    rows: list[list[Any]] = []
    for record in content.transform_records:
        fitted = record["fitted_parameters"]
        entries = [
            ("media", entry, entry["transformation"], entry["params"])
            for entry in fitted["media"]
        ] + [
            ("other", entry, fitted["scaling"], [])
            for entry in fitted["other_variables"]
        ]
        for role, entry, kind, params in entries:
            for region in entry["regions"]:
                rows.append(
                    [
                        record["combination_id"],
                        entry["variable"],
                        role,
                        kind,
                        ", ".join(f"{value:g}" for value in params),
                        region["region"],
                        *(region.get(k) for k in ("peak", "min", "max", "mean", "std")),
                    ]
                )
    return header, rows


def _summary_table(content: ExportContent) -> Table:
    run = content.run
    summary = run.get("summary", {})
    best = run.get("best_models", {})
    constraints = ", ".join(
        f"{c['variable']} {c['constraint_type']}" for c in run["variable_constraints"]
    )
    items: list[tuple[str, Any]] = [
        ("training_id", run["run_id"]),
        ("transform_id", run["transform_id"]),
        ("prepare_run_id", run["prepare_run_id"]),
        ("scope_id", run["scope_id"]),
        ("set_name", run["set_name"]),
        ("created_at", _text(run["created_at"])),
        ("model_types", ", ".join(run["model_types"])),
        ("y_variables", ", ".join(run["y_variables"])),
        ("train_test_split", run["train_test_split"]),
        ("constraints_applied", str(summary.get("constraints_applied", False))),
        ("constraints", constraints),
        ("models", len(content.models)),
        ("best model by mape", best.get("by_mape")),
        ("best model by r_squared", best.get("by_r2")),
        ("best model by aic", best.get("by_aic")),
    ]
    return ["item", "value"], [[name, value] for name, value in items]


def _add_chart(workbook: Any, sheet: Any, content: ExportContent, bold: Any) -> None:
    """Shares of the best model (by mape) as a table and a bar chart."""
    shares = list(content.best_contributions.items())
    if content.best_model_id is None or not shares:
        return
    first, column = 0, 3
    title = f"Contributions of model {content.best_model_id} (lowest mape)"
    sheet.write_string(first, column, title, bold)
    _write_rows(
        sheet, [["variable", "share"], *map(list, shares)], bold, first + 1, column
    )
    chart = workbook.add_chart({"type": "bar"})
    last = first + 1 + len(shares)
    chart.add_series(
        {
            "name": "share of predicted y",
            "categories": ["Summary", first + 2, column, last, column],
            "values": ["Summary", first + 2, column + 1, last, column + 1],
        }
    )
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    sheet.insert_chart(last + 2, column, chart)


def _write_rows(
    sheet: Any,
    rows: Iterable[Sequence[Any]],
    bold: Any,
    first_row: int = 0,
    first_column: int = 0,
) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            _write_cell(
                sheet, first_row + r, first_column + c, value, bold if r == 0 else None
            )


def _write_cell(sheet: Any, row: int, column: int, value: Any, style: Any) -> None:
    if value is None:
        sheet.write_blank(row, column, None, style)
    elif isinstance(value, bool):
        sheet.write_string(row, column, str(value), style)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value, style)
    else:
        sheet.write_string(row, column, str(spreadsheet_safe(str(value))), style)


def _identifier_names(models: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for model in models:
        names.update(dict.fromkeys(model["identifiers"]))
    return [name for name in names if name not in {"brand", "market"}]


def _names(models: Sequence[Mapping[str, Any]], field: str) -> list[str]:
    names: dict[str, None] = {}
    for model in models:
        names.update(dict.fromkeys(model[field] or {}))
    return list(names)


def _cells(values: Mapping[str, Any] | None, names: Sequence[str]) -> list[Any]:
    return [(values or {}).get(name) for name in names]


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
