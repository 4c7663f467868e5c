"""The CSV files of a chunk of combinations, parsed and stacked into one frame.

Parsing 250 small files one ``read_csv`` call each costs ten times the CPU of
parsing them as one buffer: most of a call is fixed overhead. Files that are
plain enough for the join to change nothing (the same header, no quotes, no
carriage returns, no BOM, every wanted column numeric) are therefore parsed
together; any other file, or a group whose joint parse fails a check, is parsed
alone, so its own errors and column types are kept. Only files whose wanted
columns are all numbers are stacked: a text cell in one file must not turn a
column into text for the files parsed beside it.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from buildatom.services.numbers import finite

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_BOM = b"\xef\xbb\xbf"
_PARSE_ERRORS = (ValueError, UnicodeDecodeError, pd.errors.ParserError)


@dataclass(frozen=True)
class StackedFrames:
    """Frames one under the other; the rows of frame ``i`` are ``bounds[i]``
    to ``bounds[i + 1]`` of ``frame``."""

    frame: pd.DataFrame
    bounds: list[int]

    @classmethod
    def of(cls, frames: Sequence[pd.DataFrame]) -> StackedFrames:
        bounds = np.cumsum([0, *(len(frame) for frame in frames)]).tolist()
        return cls(pd.concat(frames, ignore_index=True), bounds)

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def parts(self) -> list[pd.DataFrame]:
        """Each frame on its own."""
        return [
            self.frame.iloc[start:stop].reset_index(drop=True)
            for start, stop in itertools.pairwise(self.bounds)
        ]


@dataclass(frozen=True)
class Stack:
    """Files, by index, whose wanted columns are of the same kinds."""

    files: list[int]
    frames: StackedFrames


@dataclass(frozen=True)
class ParsedFiles:
    """What :func:`parse_csv_files` made of the files, by index.

    Files are stacked only with files whose every wanted column is of the
    same kind (number, boolean or text): pandas stacks a number column with a
    text or boolean one as text, which would change how it is modelled.
    """

    stacks: list[Stack]
    errors: dict[int, str]


def parse_csv_files(contents: Sequence[bytes], needed: Collection[str]) -> ParsedFiles:
    """Parse CSV files, keeping only the ``needed`` columns.

    A file that is not CSV or lacks a needed column gets an error message.
    """
    wanted = set(needed)
    groups: dict[bytes, list[int]] = {}
    alone: list[int] = []
    for index, data in enumerate(contents):
        header = _plain_header(data, wanted)
        if header is None:
            alone.append(index)
        else:
            groups.setdefault(header, []).append(index)

    stacks: list[Stack] = []
    for header, members in groups.items():
        joint = _parse_together(header, [contents[i] for i in members], wanted)
        if joint is None:
            alone.extend(members)
            continue
        stacked, kept = joint
        if kept.all():
            stacks.append(Stack(members, stacked))
            continue
        alone.extend(
            index for index, keep in zip(members, kept, strict=True) if not keep
        )
        if kept.any():
            parts = stacked.parts()
            together = np.flatnonzero(kept).tolist()
            frames = StackedFrames.of([parts[position] for position in together])
            stacks.append(Stack([members[position] for position in together], frames))

    errors: dict[int, str] = {}
    by_kinds: dict[tuple[str, ...], dict[int, pd.DataFrame]] = {}
    names = sorted(wanted)
    for index in sorted(alone):
        parsed = _parse_alone(contents[index], wanted)
        if isinstance(parsed, str):
            errors[index] = parsed
            continue
        if not len(parsed):
            parsed = parsed.astype(np.float64)
        kinds = tuple(_kind(parsed[name]) for name in names)
        by_kinds.setdefault(kinds, {})[index] = parsed
    stacks += [
        Stack(list(frames), StackedFrames.of(list(frames.values())))
        for frames in by_kinds.values()
    ]
    return ParsedFiles(stacks, errors)


def _kind(column: pd.Series) -> str:
    if is_number_column(column):
        return "number"
    return "boolean" if pd.api.types.is_bool_dtype(column) else "text"


def _plain_header(data: bytes, wanted: set[str]) -> bytes | None:
    """The header line of a file that can be parsed jointly, else ``None``."""
    if data.startswith(_BOM) or b'"' in data or b"\r" in data:
        return None
    header, newline, _ = data.partition(b"\n")
    if not newline:
        return None
    try:
        names = header.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    if len(set(names)) != len(names) or not wanted <= set(names):
        return None
    return header


def _parse_together(
    header: bytes, contents: Sequence[bytes], wanted: set[str]
) -> tuple[StackedFrames, BoolArray] | None:
    """Parse files sharing ``header`` as one buffer.

    Returns the stacked frames and which files got the column kinds their own
    parse would give them; ``None`` when the joint parse may differ for all
    (a skipped blank line, a bad line, a boolean column).
    """
    bodies = []
    for data in contents:
        body = data[len(header) + 1 :]
        bodies.append(body if not body or body.endswith(b"\n") else body + b"\n")
    rows = [body.count(b"\n") for body in bodies]
    buffer = b"".join([header, b"\n", *bodies])
    try:
        frame = pd.read_csv(
            io.BytesIO(buffer), usecols=lambda c: c in wanted, low_memory=False
        )
    except _PARSE_ERRORS:
        return None
    if len(frame) != sum(rows):
        return None
    bounds = np.cumsum([0, *rows])
    kept = np.ones(len(contents), dtype=bool)
    for name in frame.columns:
        column = frame[name]
        if is_number_column(column):
            # Numbers (or missing values) in every file: each file's own
            # parse reads the column as numbers too.
            continue
        if pd.api.types.is_bool_dtype(column):
            return None
        kept &= _text_in_each(column, bounds)
    return StackedFrames(frame, bounds.tolist()), kept


def _text_in_each(column: pd.Series, bounds: IntArray) -> BoolArray:
    """Per file, whether its rows of a text column hold a value that its own
    parse could not read as a number or a boolean (so it reads text too)."""
    codes, levels = pd.factorize(column)
    text = np.array([*map(_surely_text, levels), False])
    seen = np.concatenate([[0], np.cumsum(text[codes])])
    return np.asarray(seen[bounds[1:]] > seen[bounds[:-1]])


def _surely_text(value: object) -> bool:
    if not isinstance(value, str) or value.strip().lower() in {"true", "false"}:
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def _parse_alone(data: bytes, wanted: set[str]) -> pd.DataFrame | str:
    try:
        frame = pd.read_csv(io.BytesIO(data), usecols=lambda c: c in wanted)
    except _PARSE_ERRORS as error:
        return f"is not readable CSV: {error}"
    missing = sorted(wanted - set(frame.columns))
    if missing:
        return f"lacks columns {missing}"
    return frame


def stacked_statistics(
    stacked: StackedFrames, names: Sequence[str]
) -> list[list[dict[str, Any]]]:
    """Per frame, the mean, std (ddof 1), min, max, sum and count of the
    finite values of each of ``names`` that is a number column."""
    per_frame: list[list[dict[str, Any]]] = [[] for _ in range(len(stacked))]
    for name in names:
        column = stacked.frame[name]
        if not is_number_column(column):
            continue
        values = column.to_numpy(dtype=np.float64)
        for statistics, (start, stop) in zip(
            per_frame, itertools.pairwise(stacked.bounds), strict=True
        ):
            statistics.extend(_number_statistics(name, values[start:stop]))
    return per_frame


def is_number_column(column: pd.Series) -> bool:
    """Whether a column holds numbers (booleans do not count)."""
    return pd.api.types.is_numeric_dtype(column) and not (
        pd.api.types.is_bool_dtype(column)
    )


def _number_statistics(name: str, values: FloatArray) -> list[dict[str, Any]]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return []
    return [
        {
            "name": name,
            "mean": finite(values.mean()),
            "std": finite(values.std(ddof=1)) if values.size > 1 else None,
            "min": finite(values.min()),
            "max": finite(values.max()),
            "sum": float(values.sum()),
            "count": int(values.size),
        }
    ]
