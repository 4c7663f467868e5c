"""Parsing a chunk's CSV files together gives what parsing each alone gives."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from buildatom.services.combination_frames import (
    ParsedFiles,
    parse_csv_files,
    stacked_statistics,
)

NEEDED = ["Brand", "Price", "Promo", "Volume"]
HEADER = b"Date,Brand,Price,Promo,Volume\n"


def sales_file(seed: int, rows: int = 12) -> bytes:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Date": pd.date_range("2024-01-07", periods=rows, freq="W").astype(str),
            "Brand": f"brand{seed}",
            "Price": np.round(rng.uniform(1, 5, rows), 4),
            "Promo": rng.integers(0, 2, rows),
            "Volume": np.round(rng.uniform(100, 900, rows), 3),
        }
    )
    return frame.to_csv(index=False).encode()


def alone(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), usecols=lambda c: c in NEEDED)


def own_frames(parsed: ParsedFiles) -> dict[int, pd.DataFrame]:
    """Each parsed file's rows, cut out of the stack it landed in."""
    frames = {}
    for stack in parsed.stacks:
        frames.update(zip(stack.files, stack.frames.parts(), strict=True))
    return frames


def kinds(frame: pd.DataFrame) -> dict[str, str]:
    return {
        name: "number"
        if pd.api.types.is_numeric_dtype(frame[name])
        and not pd.api.types.is_bool_dtype(frame[name])
        else str(frame[name].dtype)
        for name in NEEDED
    }


def assert_as_if_alone(files: list[bytes]) -> ParsedFiles:
    """Every file parses to its own parse's values and column kinds, and
    files of one stack agree on every column's kind."""
    parsed = parse_csv_files(files, NEEDED)
    frames = own_frames(parsed)
    for index, data in enumerate(files):
        try:
            expected = alone(data)
        except (ValueError, pd.errors.ParserError):
            assert parsed.errors[index].startswith("is not readable CSV")
            continue
        if set(NEEDED) - set(expected.columns):
            assert parsed.errors[index].startswith("lacks columns")
            continue
        assert index not in parsed.errors
        own = frames[index][list(expected.columns)]
        if len(expected):
            assert kinds(own) == kinds(expected), index
            pd.testing.assert_frame_equal(own, expected, check_dtype=False)
        else:
            assert len(own) == 0
    for stack in parsed.stacks:
        assert len({tuple(kinds(frame).items()) for frame in stack.frames.parts()}) == 1
    assert sorted([*parsed.errors, *frames]) == list(range(len(files)))
    return parsed


def test_plain_files_parse_as_one_stack():
    files = [sales_file(seed) for seed in range(30)]
    parsed = assert_as_if_alone(files)
    assert [stack.files for stack in parsed.stacks] == [list(range(30))]
    reference = pd.concat([alone(data) for data in files], ignore_index=True)
    pd.testing.assert_frame_equal(parsed.stacks[0].frames.frame, reference)
    assert parsed.stacks[0].frames.bounds == list(range(0, 361, 12))


def test_file_without_final_newline_and_header_only_file():
    files = [sales_file(1).rstrip(b"\n"), HEADER, sales_file(2)]
    parsed = assert_as_if_alone(files)
    assert [stack.files for stack in parsed.stacks] == [[0, 2], [1]]
    assert parsed.stacks[0].frames.bounds == [0, 12, 24]
    assert parsed.stacks[1].frames.bounds == [0, 0]


def test_numbers_only_header_only_file_stays_in_the_stack():
    numbers = ["Price", "Promo", "Volume"]
    files = [sales_file(1), b"Date,Brand,Price,Promo,Volume\n", sales_file(2)]
    (stack,) = parse_csv_files(files, numbers).stacks
    assert stack.files == [0, 1, 2]
    assert stack.frames.bounds == [0, 12, 12, 24]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="bom"),
        pytest.param(lambda b: b.replace(b"brand3", b'"brand,3"'), id="quoted"),
        pytest.param(lambda b: b.replace(b"\n", b"\n\n", 3), id="blank-lines"),
        pytest.param(lambda b: b.replace(b"Promo", b"Discount"), id="other-header"),
        pytest.param(lambda b: b.replace(b",Promo", b",Extra,Promo"), id="more-cols"),
        pytest.param(lambda b: b + b"2025-01-01,x,1.0,1,5.0,9\n", id="long-row"),
        pytest.param(lambda b: b.replace(b",1,", b",yes,", 1), id="text-in-number"),
        pytest.param(lambda b: b.replace(b"brand3", b"7"), id="number-in-text"),
        pytest.param(lambda b: b.replace(b"brand3", b"True"), id="boolean-in-text"),
        pytest.param(lambda b: b.replace(b"brand3", b""), id="empty-text"),
        pytest.param(lambda b: b.replace(b"3.", b"NA", 1), id="missing-number"),
        pytest.param(lambda b: b.split(b"\n", 1)[0], id="header-without-newline"),
    ],
)
def test_a_file_that_is_not_plain_gives_what_its_own_parse_gives(change):
    files = [sales_file(seed) for seed in range(6)]
    files[3] = change(files[3])
    assert_as_if_alone(files)


def test_booleans_are_not_stacked_with_numbers():
    files = [sales_file(seed) for seed in range(4)]
    for index in (1, 2):
        files[index] = (
            files[index].replace(b",1,", b",True,").replace(b",0,", b",False,")
        )
    parsed = assert_as_if_alone(files)
    assert sorted(sorted(stack.files) for stack in parsed.stacks) == [[0, 3], [1, 2]]


def test_errors_name_the_problem():
    files = [sales_file(0), b"Date,Price\n2024-01-07,1.0\n", b"\xff\xfe\x00bad"]
    parsed = parse_csv_files(files, NEEDED)
    assert [stack.files for stack in parsed.stacks] == [[0]]
    assert parsed.errors[1] == "lacks columns ['Brand', 'Promo', 'Volume']"
    assert parsed.errors[2].startswith("is not readable CSV")


def test_stacked_statistics_match_numpy_per_file():
    files = [sales_file(seed, rows=5 + seed) for seed in range(5)]
    (stack,) = parse_csv_files(files, NEEDED).stacks
    statistics = stacked_statistics(stack.frames, NEEDED)
    for data, stats in zip(files, statistics, strict=True):
        frame = alone(data)
        assert [s["name"] for s in stats] == ["Price", "Promo", "Volume"]
        for entry in stats:
            values = frame[entry["name"]].to_numpy(float)
            assert entry["mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert entry["std"] == pytest.approx(np.std(values, ddof=1), rel=1e-12)
            assert (entry["min"], entry["max"]) == (values.min(), values.max())
            assert entry["count"] == len(values)
