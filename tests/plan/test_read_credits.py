"""Large plain credits files are read by pyarrow; the cells must be those the C parser reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmopt.plan import inputs


def plain_credits(path, rows: int = 30_000) -> None:
    """A >1 MB credits file: ids with leading zeros, empty deal ids, negative and whole amounts,
    an extra column, and a blank line."""
    index = np.arange(rows)
    lines = ["rep_id,date,measure,amount,deal_id,note"]
    for i in index:
        deal = "" if i % 7 == 0 else f"{i:06d}"
        amount = f"{(i * 37 % 100_000) / 100 - 100:.2f}" if i % 5 else str(i % 1000)
        lines.append(
            f"{i % 97:03d},2027-{i % 12 + 1:02d}-{i % 28 + 1:02d},bookings,{amount},{deal},n{i}"
        )
    lines.insert(100, "")
    path.write_text("\n".join(lines) + "\n")


def test_a_plain_file_is_read_by_pyarrow_with_the_cells_the_c_parser_reads(tmp_path, monkeypatch):
    path = tmp_path / "credits.csv"
    plain_credits(path)
    assert path.stat().st_size > inputs._PLAIN_READ_MIN_BYTES
    assert inputs._read_plain_csv(path) is not None
    fast = inputs.read_credits(path)
    monkeypatch.setattr(inputs, "_PLAIN_READ_MIN_BYTES", 1 << 62)  # the C parser only
    assert inputs._read_plain_csv(path) is None
    pd.testing.assert_frame_equal(fast, inputs.read_credits(path))
    assert fast["rep_id"].iloc[0] == "000"


@pytest.mark.parametrize(
    "change", [(",bookings,", ',"bookings",'), (",bookings,", ", bookings,"), ("\n", "\r\n")]
)
def test_files_pyarrow_might_read_otherwise_go_to_the_c_parser(tmp_path, change):
    path = tmp_path / "credits.csv"
    plain_credits(path)
    path.write_bytes(path.read_bytes().replace(change[0].encode(), change[1].encode(), 1))
    assert inputs._read_plain_csv(path) is None
    assert len(inputs.read_credits(path)) == 30_000
