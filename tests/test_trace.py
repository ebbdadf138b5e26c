"""Tests for sim.trace: reading, checking and replaying a trace of contact arrivals.

Exactness is bitwise: times written with ``repr`` must read back as the same float64, and
timestamps to the second as exactly ``seconds / 60`` minutes. Every malformed-row class is
checked for its line number (the header is line 1), alone and several at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from sim.trace import COLUMNS, MAX_LISTED, Replay, TraceError, read_trace


def write(tmp_path: Path, text: str, name: str = "trace.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def bits(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).view(np.int64)


# --- exact replay -------------------------------------------------------------------------

def test_arrival_minutes_read_back_bit_identical(tmp_path):
    rng = np.random.default_rng(11)
    times = np.concatenate([rng.random(3000) * 80640, rng.random(500) * 1e-6,
                            np.exp(rng.normal(0, 12, 500)), [0.0, 1e-300, 1 / 3, 10079.999999]])
    channel = rng.choice(["phone", "chat"], len(times))
    order = rng.permutation(len(times))  # the file need not be sorted
    lines = ["arrival_min,channel"] + [f"{float(times[i])!r},{channel[i]}" for i in order]
    replays = read_trace(write(tmp_path, "\n".join(lines) + "\n"), ["phone", "chat"])
    for ch in ("phone", "chat"):
        expected = np.sort(times[channel == ch])
        assert np.array_equal(bits(replays[ch].times), bits(expected))
        assert replays[ch].attributes == {}


def test_timestamps_to_the_second_are_exact_minutes_from_monday(tmp_path):
    rng = np.random.default_rng(12)
    # Earliest contact on Wednesday 2026-03-04: the origin is Monday 2026-03-02 00:00.
    seconds = 2 * 86400 + rng.integers(0, 20 * 86400, 2000)
    seconds[0] = 2 * 86400 + 3600
    stamps = np.datetime64("2026-03-02T00:00:00") + seconds.astype("timedelta64[s]")
    text = [str(s) for s in stamps]  # ISO with T
    text[1::2] = [t.replace("T", " ") for t in text[1::2]]  # and with a space
    path = write(tmp_path, "timestamp,channel\n" + "".join(f"{t},email\n" for t in text))
    got = read_trace(path, ["email"])["email"].times
    assert np.array_equal(bits(got), bits(np.sort(seconds) / 60))


def test_origin_is_monday_of_the_earliest_timestamps_week(tmp_path):
    path = write(tmp_path, "timestamp,channel\n2026-03-09 10:00:00,phone\n"
                           "2026-03-08T23:30:00,phone\n")  # a Sunday: its Monday is 03-02
    assert list(read_trace(path, ["phone"])["phone"].times) == [6 * 1440 + 1410, 7 * 1440 + 600]


def test_timezone_aware_timestamps_are_converted_to_utc(tmp_path):
    path = write(tmp_path, "timestamp,channel\n2026-03-04T11:00:00+02:00,phone\n"
                           "2026-03-04T09:30:00Z,phone\n2026-03-04T04:00:00-05:00,phone\n")
    times = read_trace(path, ["phone"])["phone"].times
    assert list(times) == [2 * 1440 + 540, 2 * 1440 + 540, 2 * 1440 + 570]


def test_mixing_zoned_and_local_timestamps_is_malformed(tmp_path):
    path = write(tmp_path, "timestamp,channel\n2026-03-04 09:00:00,phone\n"
                           "2026-03-04 10:00:00,phone\n2026-03-04T09:00:00Z,phone\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone"])
    assert [line for line, _ in err.value.problems] == [4]
    assert "time zone" in err.value.problems[0][1]


# --- attributes -------------------------------------------------------------------------

def test_attributes_stay_aligned_with_their_contact_after_sorting(tmp_path):
    rng = np.random.default_rng(13)
    t = [float(x) for x in rng.permutation(np.arange(200) * 7.5)]
    rows = [f"{x!r},{'phone' if k % 3 else 'chat'},{2 * x + 1!r},{x % 2 == 0},{x / 10!r}"
            for k, x in enumerate(t)]
    path = write(tmp_path, "arrival_min,channel,handle_min,negative,reach\n"
                 + "\n".join(rows) + "\n")
    for replay in read_trace(path, ["phone", "chat"]).values():
        a = replay.attributes
        assert set(a) == {"handle_min", "negative", "reach"}
        assert np.array_equal(a["handle_min"], 2 * replay.times + 1)
        assert np.array_equal(a["negative"], (replay.times % 2 == 0).astype(float))
        assert np.array_equal(a["reach"], replay.times / 10)


def test_equal_times_keep_file_order(tmp_path):
    path = write(tmp_path, "arrival_min,channel,reach\n5,phone,3\n1,phone,1\n5,phone,4\n"
                           "5,phone,2\n")
    r = read_trace(path, ["phone"])["phone"]
    assert list(r.times) == [1, 5, 5, 5] and list(r.attributes["reach"]) == [1, 3, 4, 2]


def test_attribute_values_bools_and_not_given(tmp_path):
    path = write(tmp_path,
                 "arrival_min,channel,negative,needs_secure,patience_min,expectation_min\n"
                 "1,phone,true,No,inf,5\n2,phone,0,,3.5,\n3,phone,YES,1,,60\n4,phone,,false,,\n")
    a = read_trace(path, ["phone"])["phone"].attributes
    np.testing.assert_array_equal(a["negative"], [1, 0, 1, np.nan])
    np.testing.assert_array_equal(a["needs_secure"], [0, np.nan, 1, 0])
    np.testing.assert_array_equal(a["patience_min"], [np.inf, 3.5, np.nan, np.nan])
    np.testing.assert_array_equal(a["expectation_min"], [5, np.nan, 60, np.nan])


def test_channels_without_rows_get_an_empty_replay(tmp_path):
    path = write(tmp_path, "arrival_min,channel,reach\n1,phone,2\n")
    replays = read_trace(path, ["phone", "twitter"])
    assert list(replays) == ["phone", "twitter"]
    assert len(replays["twitter"]) == 0 and replays["twitter"].attributes["reach"].shape == (0,)
    assert len(replays["twitter"].sample(np.random.default_rng(0), 1e9)) == 0


def test_without_a_channel_list_every_channel_in_the_file_in_order(tmp_path):
    path = write(tmp_path, "arrival_min,channel\n3,chat\n1,phone\n2,chat\n")
    replays = read_trace(path)
    assert list(replays) == ["chat", "phone"] and list(replays["chat"].times) == [2, 3]


# --- the process ------------------------------------------------------------------------

@pytest.fixture
def replay() -> Replay:
    return Replay(np.array([0.0, 1.0, 2.5, 10.0, 10.0, 30.0]),
                  {"reach": np.array([0.0, 1, 2, 3, 4, 5])}, "twitter")


def test_sample_and_attributes_until_slice_before_the_horizon(replay):
    rng = np.random.default_rng(0)
    assert list(replay.sample(rng, 10.0)) == [0.0, 1.0, 2.5]  # 10.0 is not < 10.0
    assert list(replay.attributes_until(10.0)["reach"]) == [0, 1, 2]
    assert list(replay.sample(rng, 10.000001)) == [0.0, 1.0, 2.5, 10.0, 10.0]
    assert list(replay.attributes_until(10.000001)["reach"]) == [0, 1, 2, 3, 4]
    assert len(replay.sample(rng, 0.0)) == 0 and len(replay.sample(rng, 1e9)) == 6


def test_the_random_stream_is_not_advanced(replay):
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    replay.sample(rng, 20.0)
    assert rng.bit_generator.state == before


def test_the_same_times_in_every_replication(replay):
    a = replay.sample(np.random.default_rng(1), 100)
    a[:] = -1  # a caller scribbling on its copy does not reach the next replication
    assert list(replay.sample(np.random.default_rng(2), 100)) == [0, 1, 2.5, 10, 10, 30]
    with pytest.raises(ValueError):
        replay.times[0] = 5.0


def test_surges_are_refused(replay):
    with pytest.raises(ValueError, match="incidents cannot raise a replayed channel's volume"
                                         ".*twitter"):
        replay.sample(np.random.default_rng(0), 100, [(0.0, 60.0, 3.0)])


def test_mean_rate_counts_arrivals_in_the_half_open_window(replay):
    assert replay.mean_rate(0, 10) == 3 / 10
    assert replay.mean_rate(10, 40) == 3 / 30
    assert replay.mean_rate(2.5, 3.5) == 1.0
    assert replay.mean_rate(31, 100) == 0.0
    with pytest.raises(ValueError):
        replay.mean_rate(5, 5)


def test_replay_checks_its_arrays():
    with pytest.raises(ValueError, match="sorted"):
        Replay(np.array([2.0, 1.0]))
    with pytest.raises(ValueError, match="reach"):
        Replay(np.array([1.0, 2.0]), {"reach": np.array([1.0])})


# --- malformed input --------------------------------------------------------------------

HEADER = "arrival_min,channel,reach,negative,needs_secure,handle_min,patience_min,expectation_min"
GOOD = "1.5,phone,10,true,false,3,4,5"


@pytest.mark.parametrize("row,phrase", [
    (",phone,,,,,,", "missing arrival_min"),
    ("abc,phone,,,,,,", "arrival_min 'abc' is not a number"),
    ("nan,phone,,,,,,", "arrival_min 'nan' is not a number"),
    ("inf,phone,,,,,,", "arrival_min 'inf' is not finite"),
    ("-2,phone,,,,,,", "arrival_min '-2' is negative"),
    ("1,fax,,,,,,", "unknown channel 'fax' (valid: phone, chat)"),
    ("1,,,,,,,", "missing channel"),
    ("1,phone,lots,,,,,", "reach 'lots' is not a number"),
    ("1,phone,-1,,,,,", "reach '-1' must be a finite number >= 0"),
    ("1,phone,,maybe,,,,", "negative 'maybe' is not a yes/no value"),
    ("1,phone,,,2,,,", "needs_secure '2' is not a yes/no value"),
    ("1,phone,,,,0,,", "handle_min '0' must be > 0"),
    ("1,phone,,,,inf,,", "handle_min 'inf' must be > 0"),
    ("1,phone,,,,,-3,", "patience_min '-3' must be > 0 (minutes, or inf)"),
    ("1,phone,,,,,,0", "expectation_min '0' must be > 0"),
    ("1,phone,,,,,,4x", "expectation_min '4x' is not a number"),
    ("1,phone,,,,,,,,", "expected 8 fields, saw 10"),
])
def test_each_malformed_row_is_reported_with_its_line(tmp_path, row, phrase):
    path = write(tmp_path, f"{HEADER}\n{GOOD}\n{GOOD}\n{row}\n{GOOD}\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone", "chat"])
    assert len(err.value.problems) == 1
    line, message = err.value.problems[0]
    assert line == 4 and phrase in message
    assert str(err.value).startswith(f"{path}: 1 malformed row(s):\n  line 4: ")


def test_bad_timestamps_are_reported_with_their_lines(tmp_path):
    path = write(tmp_path, "timestamp,channel\n2026-03-02 09:00:00,phone\nyesterday,phone\n"
                           ",phone\n2026-13-45 10:00,phone\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone"])
    assert [line for line, _ in err.value.problems] == [3, 4, 5]
    assert "'yesterday' is not an ISO 8601" in err.value.problems[0][1]
    assert "missing timestamp" in err.value.problems[1][1]


def test_all_problems_at_once_with_file_line_numbers(tmp_path):
    lines = [HEADER, GOOD, "x,phone,,,,,,", "", GOOD, "1,fax,-1,,,,,", "1,phone,,,,,,,,",
             GOOD, "", "", "2,chat,,,,0,,", GOOD]
    # lines:    1     2       3           4    5        6                7
    #           8     9  10   11              12
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone", "chat"])
    problems = err.value.problems
    assert [line for line, _ in problems] == [3, 6, 7, 11]
    # Two problems on one line are one malformed row, both named.
    assert "unknown channel 'fax'" in problems[1][1] and "reach '-1'" in problems[1][1]
    assert "handle_min '0'" in problems[3][1]
    text = str(err.value)
    assert text.splitlines()[0] == f"{path}: 4 malformed row(s):"
    assert text.splitlines()[1].startswith("  line 3: ")


def test_the_message_lists_at_most_twenty_rows(tmp_path):
    rows = [GOOD] + ["bad,phone,,,,,,"] * 25
    path = write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone"])
    assert len(err.value.problems) == 25
    shown = str(err.value).splitlines()
    assert len(shown) == 1 + MAX_LISTED + 1 and shown[-1] == "  ... and 5 more"
    assert shown[1].startswith("  line 3:") and shown[MAX_LISTED].startswith("  line 22:")


def test_unknown_columns_are_counted_not_echoed_with_the_valid_ones(tmp_path):
    """The path may name any file: a header that is not a trace's is described, never
    shown (issue #13); a misspelt column gets the name it is close to."""
    path = write(tmp_path, "arrival_min,channel,agent,skill\n1,phone,a,b\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone"])
    assert err.value.problems[0][0] == 1
    message = str(err.value)
    assert "agent" not in message and "skill" not in message
    assert "2 of 4 column(s) are not trace columns" in message
    assert all(col in message for col in COLUMNS)
    typo = write(tmp_path, "chanel,arrival_min\nphone,1\n", "typo.csv")
    with pytest.raises(TraceError, match="close to channel: misspelt") as err:
        read_trace(typo, ["phone"])
    assert "chanel" not in str(err.value)


def test_a_file_that_is_not_a_trace_is_never_echoed(tmp_path):
    secret = write(tmp_path, "hunter2:$6$saltsalt$hash:19000:0:99999:7:::\nroot:x:0\n", "s.csv")
    with pytest.raises(TraceError) as err:
        read_trace(secret, ["phone"])
    assert "hunter2" not in str(err.value) and "saltsalt" not in str(err.value)


@pytest.mark.parametrize("kind, phrase", [
    ("fifo", "not a regular file"), ("device", "not a regular file"),
    ("directory", "is a directory"), ("empty", "the file is empty"),
    ("blank path", "no file given"), ("missing", "no such file")])
def test_paths_that_are_not_trace_files_are_refused_at_once(tmp_path, kind, phrase):
    """Never opened (a FIFO would block, /dev/zero never end): refused from a stat."""
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "directory":
        path = tmp_path
    elif kind == "empty":
        path = write(tmp_path, "", "empty.csv")
    elif kind == "blank path":
        path = Path("")
    else:
        path = tmp_path / "nope.csv"
    start = time.perf_counter()
    with pytest.raises(TraceError, match=phrase):
        read_trace(path, ["phone"])
    assert time.perf_counter() - start < 5


def test_a_huge_first_line_is_not_read_whole(tmp_path):
    """A file with no line break (a sparse or binary file) is refused from a bounded read."""
    path = tmp_path / "sparse.csv"
    with path.open("wb") as f:
        f.truncate(2 * 2**30)  # 2 GiB of zero bytes, nothing on disk
    start = time.perf_counter()
    with pytest.raises(TraceError, match="longer than"):
        read_trace(path, ["phone"])
    assert time.perf_counter() - start < 5


def test_unreadable_file_is_refused(tmp_path):
    path = write(tmp_path, "channel,arrival_min\nphone,1\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything
        pytest.skip("running as root: every file is readable")
    with pytest.raises(TraceError, match="permission denied"):
        read_trace(path, ["phone"])


@pytest.mark.parametrize("text, line", [
    ("channel,arrival_min\nphone,1.0,extra\nphone,2.0\n", 2),
    ("channel,arrival_min\nphone,1.0\nphone,2.0,extra\n", 3)])
def test_a_row_with_extra_fields_is_malformed_wherever_it_is(tmp_path, text, line):
    """The CSV parser keeps a *first* data row with extra fields, cut, and only warns
    that data may be lost: it is reported like any other."""
    with pytest.raises(TraceError) as err:
        read_trace(write(tmp_path, text), ["phone"])
    assert err.value.problems == [(line, "expected 2 fields, saw 3")]


@pytest.mark.parametrize("header,phrase", [
    ("arrival_min,timestamp,channel", "found arrival_min and timestamp"),
    ("channel,reach", "found neither"),
    ("arrival_min,reach", "missing required column 'channel'"),
    ("arrival_min,channel,reach,reach", "repeated column(s) 'reach'"),
    ("1.5,phone", "2 of 2 column(s) are not trace columns"),
])
def test_bad_headers(tmp_path, header, phrase):
    path = write(tmp_path, header + "\n1,2,3,4\n")
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone"])
    assert err.value.problems[0][0] == 1 and phrase in str(err.value)


@pytest.mark.parametrize("text,phrase", [
    (None, "no such file"),
    ("", "the file is empty"),
    ("arrival_min,channel\n", "no data rows"),
    ("arrival_min,channel\n\n\n", "no data rows"),
])
def test_missing_empty_and_header_only_files(tmp_path, text, phrase):
    path = tmp_path / "trace.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone"])
    assert err.value.problems == [(0, err.value.problems[0][1])]
    assert str(err.value).startswith(f"{path}: ") and phrase in str(err.value)


def test_spaces_after_commas_and_a_byte_order_mark_are_tolerated(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_bytes("\ufeffarrival_min, channel, reach\n1.5, phone, 3\n".encode("utf-8"))
    r = read_trace(path, ["phone"])["phone"]
    assert list(r.times) == [1.5] and list(r.attributes["reach"]) == [3.0]


def test_an_unterminated_quote_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, 'arrival_min,channel\n1,phone\n\n4,"phone\n3,chat\n')
    with pytest.raises(TraceError) as err:
        read_trace(path, ["phone", "chat"])
    assert err.value.problems[0][0] == 4 and "cannot parse" in str(err.value)
