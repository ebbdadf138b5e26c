"""Tests for sim.history: interval reports read, and refused with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.history import HistoryError, read_intervals

HEADER = "interval_start,channel,offered,handled,abandoned,aht_s,asa_s,service_level,agents"


def rows(n: int = 4, channels: tuple[str, ...] = ("phone", "chat"), step: int = 30,
         day: str = "2026-03-02") -> list[str]:
    out = []
    for ch in channels:
        for k in range(n):
            minutes = 9 * 60 + k * step
            out.append(f"{day}T{minutes // 60:02d}:{minutes % 60:02d},{ch},20,18,2,300.5,"
                       f"12,0.8,4.5")
    return out


def write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    file = tmp_path / "intervals.csv"
    file.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return file


def test_a_good_report_is_read_sorted_and_typed(tmp_path) -> None:
    report = read_intervals(write(tmp_path, rows()))
    t = report.table
    assert report.interval_min == 30 and report.channels == ("phone", "chat")
    assert len(t) == 8 and list(t["channel"]) == ["chat"] * 4 + ["phone"] * 4
    assert str(t["offered"].dtype) == "int64" and t["aht_s"].iloc[0] == 300.5
    assert t["interval_start"].is_monotonic_increasing is False  # sorted by channel first
    assert t.groupby("channel")["interval_start"].apply(lambda s: s.is_monotonic_increasing).all()


def test_optional_columns_may_be_absent_or_empty(tmp_path) -> None:
    lines = [",".join(r.split(",")[:6]) for r in rows()]
    t = read_intervals(write(tmp_path, lines, ",".join(HEADER.split(",")[:6]))).table
    assert "asa_s" not in t and "agents" not in t
    lines = [r.rsplit(",", 1)[0] + "," for r in rows()]
    assert read_intervals(write(tmp_path, lines)).table["agents"].isna().all()


def test_one_utc_offset_is_accepted_and_dropped(tmp_path) -> None:
    lines = [r.replace(",phone", "+01:00,phone").replace(",chat", "+01:00,chat") for r in rows()]
    t = read_intervals(write(tmp_path, lines)).table
    assert t["interval_start"].dt.tz is None and t["interval_start"].dt.hour.min() == 9


# (edit of the good rows, line refused, column, words in the message)
BAD = {
    "date": (lambda r: r.__setitem__(2, r[2].replace("2026-03-02T10:00", "2 March")), 4,
             "interval_start", "not an ISO 8601"),
    "negative": (lambda r: r.__setitem__(0, r[0].replace(",20,18,2,", ",-20,18,2,")), 2,
                 "offered", ">= 0"),
    "fraction": (lambda r: r.__setitem__(1, r[1].replace(",20,18,2,", ",20,18.5,1,")), 3,
                 "handled", "whole number"),
    "too many": (lambda r: r.__setitem__(3, r[3].replace(",20,18,2,", ",20,18,3,")), 5,
                 "handled", "more than offered"),
    "duplicate": (lambda r: r.__setitem__(5, r[4]), 7, "interval_start", "again (first on line 6)"),
    "gap": (lambda r: r.pop(2), 4, "interval_start", "gap: no phone row for 2026-03-02 10:00"),
    "mixed": (lambda r: r.__setitem__(3, r[3].replace("T10:30", "T10:15")), 5,
              "interval_start", "mixed interval lengths"),
    "channel name": (lambda r: r.__setitem__(0, r[0].replace(",phone,", ",ph one,")), 2,
                     "channel", "a channel is a name"),
    "not a number": (lambda r: r.__setitem__(6, r[6].replace(",300.5,", ",5 min,")), 8,
                     "aht_s", "not a number"),
    "percentage": (lambda r: r.__setitem__(1, r[1].replace(",0.8,", ",80,")), 3,
                   "service_level", "divide by 100"),
    "no aht": (lambda r: r.__setitem__(1, r[1].replace(",300.5,", ",0,")), 3, "aht_s", "> 0 s"),
    "dst": (lambda r: [r.__setitem__(i, r[i].replace(",phone", f"{'+01:00' if i < 2 else '+02:00'},phone")
                       .replace(",chat", "+02:00,chat")) for i in range(len(r))], 4,
            "interval_start", "UTC offset changes from +01:00 to +02:00"),
    "mixed zones": (lambda r: r.__setitem__(1, r[1].replace(",phone", "Z,phone")), 3,
                    "interval_start", "with and without a UTC offset"),
    "short row": (lambda r: r.__setitem__(2, "2026-03-02T10:00,phone,20"), 4, None,
                  "different number of fields"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_rows_are_refused_naming_file_line_and_column(tmp_path, case) -> None:
    edit, line, column, words = BAD[case]
    lines = rows()
    edit(lines)
    file = write(tmp_path, lines)
    with pytest.raises(HistoryError) as err:
        read_intervals(file)
    assert (err.value.line, err.value.column) == (line, column), str(err.value)
    assert words in str(err.value) and str(file) in str(err.value)


def test_bad_files_are_refused(tmp_path) -> None:
    with pytest.raises(HistoryError, match="no such file"):
        read_intervals(tmp_path / "nope.csv")
    with pytest.raises(HistoryError, match="column queue: unknown column; valid: interval_start"):
        read_intervals(write(tmp_path, rows(), HEADER + ",queue"))
    with pytest.raises(HistoryError, match="missing column.*aht_s"):
        read_intervals(write(tmp_path, [], "interval_start,channel,offered,handled,abandoned"))
    with pytest.raises(HistoryError, match="no data rows"):
        read_intervals(write(tmp_path, []))
    with pytest.raises(HistoryError, match="intervals of 20 min; valid: 15, 30, 60"):
        read_intervals(write(tmp_path, rows(step=20)))
    with pytest.raises(HistoryError, match="give at least two intervals"):
        read_intervals(write(tmp_path, rows(n=1)))
    with pytest.raises(HistoryError, match=r"line 2, column channel: 'phone' is not a channel "
                       r"of the model; valid: chat, email"):
        read_intervals(write(tmp_path, rows()), channels=("chat", "email"))
