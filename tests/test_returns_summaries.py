"""The summaries' sums: the single-sort grouping gives what a sorted pandas groupby gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.services.returns_import import FINE_KEYS, SUMMARY_COLUMNS, grouped_sums

VALUES = list(SUMMARY_COLUMNS)
COARSE_KEYS = [k for k in FINE_KEYS if k != "commissioner"]


def random_rows(count: int, seed: int) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(seed)
    columns = {
        "financial_year": generator.integers(2023, 2027, count),
        "month": generator.integers(1, 13, count),
        "provider": generator.integers(0, 5, count),
        "commissioner": generator.integers(0, 50, count),
        "service_line": generator.integers(0, 30, count),
        "point": generator.integers(0, 3, count),
    }
    for name in VALUES:
        columns[name] = generator.integers(-100, 1_000, count)
    return columns


def by_pandas(columns: dict[str, np.ndarray], keys: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    return frame.groupby(keys, sort=True)[VALUES].sum().reset_index()


@pytest.mark.parametrize("count", [0, 1, 7, 20_000])
def test_fine_and_coarse_sums_match_a_sorted_groupby(count: int):
    rows = random_rows(count, seed=count)
    fine = grouped_sums(rows, FINE_KEYS, VALUES)
    expected = by_pandas(rows, list(FINE_KEYS))
    pd.testing.assert_frame_equal(pd.DataFrame(fine), expected, check_dtype=False)
    coarse = grouped_sums(fine, COARSE_KEYS, VALUES)
    pd.testing.assert_frame_equal(
        pd.DataFrame(coarse), by_pandas(expected.to_dict("series"), COARSE_KEYS), check_dtype=False
    )
    for name in VALUES:
        assert coarse[name].dtype == np.int64
        assert int(coarse[name].sum()) == int(rows[name].sum())


def test_rows_with_a_missing_key_are_left_out_as_groupby_leaves_them():
    rows = {name: values.astype(float) for name, values in random_rows(500, seed=3).items()}
    rows["provider"][[0, 10, 20]] = np.nan
    expected = by_pandas(rows, list(FINE_KEYS))
    got = pd.DataFrame(grouped_sums(rows, FINE_KEYS, VALUES))
    pd.testing.assert_frame_equal(got, expected)


def test_keys_too_wide_for_one_integer_fall_back_to_pandas():
    rows = random_rows(300, seed=4)
    rows["commissioner"] = rows["commissioner"] * 10**12
    got = pd.DataFrame(grouped_sums(rows, FINE_KEYS, VALUES))
    pd.testing.assert_frame_equal(got, by_pandas(rows, list(FINE_KEYS)), check_dtype=False)


def test_narrow_whole_numbers_are_summed_without_overflow_as_groupby_sums_them():
    rows = random_rows(50, seed=5)
    rows["row_count"] = np.full(50, 2**30, dtype=np.int32)
    got = pd.DataFrame(grouped_sums(rows, ["financial_year"], VALUES))
    expected = by_pandas(rows, ["financial_year"])
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["row_count"].dtype == np.int64
