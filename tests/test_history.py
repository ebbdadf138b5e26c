"""Tests for sim.history: interval reports and contact exports read, and refused with file,
line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from sim.history import HistoryError, read_contacts, read_intervals

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


def write(tmp_path: Path, lines: list[str], header: str = HEADER,
          name: str = "intervals.csv") -> Path:
    file = tmp_path / name
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
    "off the grid": (lambda r: [r.__setitem__(i, r[i].replace(":00,phone", ":15,phone")
                                              .replace(":30,phone", ":45,phone"))
                                for i in range(4)], 2, "interval_start",
                     "off the 30-min grid from midnight"),
}


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


# Contact exports -----------------------------------------------------------------------

CONTACT_HEADER = "arrival,channel,answered_at,abandoned_at,handle_s"


def contact_rows() -> list[str]:
    """Lines 2-5: answered, abandoned, outcome unknown, answered (the earliest arrival)."""
    return ["2026-03-02T09:00:05,phone,2026-03-02T09:00:35,,300.5",
            "2026-03-02T09:01:00,chat,,2026-03-02T09:03:00,",
            "2026-03-02T09:02:00,phone,,,",
            "2026-03-02T08:59:00,chat,2026-03-02T09:00:00,,120"]


def write_contacts(tmp_path: Path, lines: list[str], header: str = CONTACT_HEADER) -> Path:
    return write(tmp_path, lines, header, "contacts.csv")


def test_a_good_contact_export_is_read_sorted_and_typed(tmp_path) -> None:
    export = read_contacts(write_contacts(tmp_path, contact_rows()), channels=("phone", "chat"))
    t = export.table
    assert export.channels == ("phone", "chat") and len(t) == 4
    assert list(t.columns) == ["arrival", "channel", "answered", "abandoned", "wait_s",
                               "handle_s"]
    assert str(t["arrival"].dtype).startswith("datetime64") and t["arrival"].dt.tz is None
    assert t["arrival"].is_monotonic_increasing and list(t["channel"]) == ["chat", "phone",
                                                                           "chat", "phone"]
    assert list(t["answered"]) == [True, True, False, False]
    assert list(t["abandoned"]) == [False, False, True, False]
    assert t["wait_s"].tolist()[:3] == [60.0, 30.0, 120.0] and pd.isna(t["wait_s"].iloc[3])
    assert t["handle_s"].tolist()[:2] == [120.0, 300.5] and t["handle_s"].iloc[2:].isna().all()


def test_contact_export_optional_columns_offsets_and_blank_lines(tmp_path) -> None:
    lines = [",".join(r.split(",")[:2]) for r in contact_rows()]
    t = read_contacts(write_contacts(tmp_path, lines, "arrival,channel")).table
    assert not t["answered"].any() and t["wait_s"].isna().all() and t["handle_s"].isna().all()
    zoned = [r.replace(":05,", ":05+01:00,").replace(":35,", ":35+01:00,")
             for r in contact_rows()[:1]]
    t = read_contacts(write_contacts(tmp_path, zoned)).table
    assert t["arrival"].dt.tz is None and t["arrival"].dt.hour.iloc[0] == 9
    assert t["wait_s"].iloc[0] == 30.0
    # A handle time with no outcome is kept: the contact was handled, its wait is unknown.
    t = read_contacts(write_contacts(tmp_path, ["2026-03-02T09:02:00,phone,,,61"])).table
    assert t["handle_s"].iloc[0] == 61.0 and not t["answered"].iloc[0]
    # Lines are the file's: a blank line counts, and the bad row below it is line 4.
    lines = [contact_rows()[0], "", "2026-03-02T09:03:00,fax line,,,"]
    with pytest.raises(HistoryError) as err:
        read_contacts(write_contacts(tmp_path, lines))
    assert (err.value.line, err.value.column) == (4, "channel")


def swap(row: int, old: str, new: str) -> Callable[[list[str]], None]:
    """An edit of the good rows: ``old`` replaced by ``new`` in row ``row`` (0: line 2)."""
    return lambda r: r.__setitem__(row, r[row].replace(old, new))


# (edit of the good rows, line refused, column, words in the message)
BAD_CONTACTS = {
    "date": (swap(1, "2026-03-02T09:01:00", "2 March 9:01"), 3, "arrival", "not an ISO 8601"),
    "end date": (swap(1, "T09:03:00", "T09:03:00 CET"), 3, "abandoned_at", "not an ISO 8601"),
    "no arrival": (swap(2, "2026-03-02T09:02:00", ""), 4, "arrival", "a value is required"),
    "answered early": (swap(3, "T09:00:00,", "T08:58:30,"), 5, "answered_at",
                       "is 30 s before the arrival '2026-03-02T08:59:00'"),
    "abandoned early": (swap(1, "T09:03:00", "T09:00:00"), 3, "abandoned_at",
                        "is 60 s before the arrival"),
    "both": (swap(0, ",,300.5", ",2026-03-02T09:01:00,300.5"), 2, "abandoned_at",
             "answered or abandoned, not both"),
    "negative handle": (swap(3, ",120", ",-120"), 5, "handle_s", ">= 0"),
    "infinite handle": (swap(3, ",120", ",inf"), 5, "handle_s", "finite"),
    "handle not a number": (swap(0, ",300.5", ",5 min"), 2, "handle_s", "not a number"),
    "handle abandoned": (swap(1, "T09:03:00,", "T09:03:00,45"), 3, "handle_s",
                         "a handle time on an abandoned contact"),
    "channel name": (swap(2, ",phone,", ",2phone,"), 4, "channel", "a channel is a name"),
    "mixed zones": (swap(0, ":35,", ":35Z,"), 2, "answered_at", "with and without a UTC offset"),
    # Every date-time at +01:00 but line 2's answer, at +02:00.
    "dst": (lambda r: [swap(i, ":00,", ":00+01:00,")(r) for i in range(1, 4)]
            + [swap(0, ":05,", ":05+01:00,")(r), swap(0, ":35,", ":35+02:00,")(r)], 2,
            "answered_at", "UTC offset changes from +01:00 to +02:00"),
    "short row": (lambda r: r.__setitem__(2, "2026-03-02T09:02:00,phone"), 4, None,
                  "different number of fields"),
    # Two problems: the earlier line is named, whichever column or rule it is.
    "earliest": (lambda r: [swap(3, "08:59", "8h59")(r), swap(1, "T09:03:00,", "T09:03:00,-1")(r)],
                 3, "handle_s", ">= 0"),
}


# Per file kind: its reader, its good rows, how it is written, its bad cases.
KINDS = {"intervals": (read_intervals, rows, write, BAD),
         "contacts": (read_contacts, contact_rows, write_contacts, BAD_CONTACTS)}


@pytest.mark.parametrize("kind,case", [(k, c) for k, v in KINDS.items() for c in sorted(v[3])])
def test_bad_rows_are_refused_naming_file_line_and_column(tmp_path, kind, case) -> None:
    read, good, save, bad = KINDS[kind]
    edit, line, column, words = bad[case]
    lines = good()
    edit(lines)
    file = save(tmp_path, lines)
    with pytest.raises(HistoryError) as err:
        read(file)
    assert (err.value.line, err.value.column) == (line, column), str(err.value)
    assert words in str(err.value) and str(file) in str(err.value)


def test_bad_contact_files_are_refused(tmp_path) -> None:
    with pytest.raises(HistoryError, match="no such file"):
        read_contacts(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(HistoryError, match="line 1: empty: the first line must name"):
        read_contacts(empty)
    with pytest.raises(HistoryError, match="line 1: no data rows"):
        read_contacts(write_contacts(tmp_path, []))
    with pytest.raises(HistoryError, match="column answered: unknown column; valid: arrival"):
        read_contacts(write_contacts(tmp_path, contact_rows(), CONTACT_HEADER + ",answered"))
    with pytest.raises(HistoryError, match=r"missing column\(s\) channel; required: arrival, "
                       "channel"):
        read_contacts(write_contacts(tmp_path, [], "arrival,answered_at"))
    with pytest.raises(HistoryError, match="line 1, column handle_s: appears twice"):
        read_contacts(write_contacts(tmp_path, [r + ",1" for r in contact_rows()],
                                     CONTACT_HEADER + ",handle_s"))
    with pytest.raises(HistoryError, match=r"line 3, column channel: 'chat' is not a channel "
                       r"of the model; valid: phone, email"):
        read_contacts(write_contacts(tmp_path, contact_rows()), channels=("phone", "email"))
