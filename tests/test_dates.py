"""Purchase dates: shapes, the day-first/month-first decision, plausibility, errors (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from custseg.dialect import ReadOptions
from custseg.errors import DataError
from custseg.features.date_sql import java_pattern
from custseg.features.transactions import customer_features

D = dt.date


def _history(tmp_path: Path, dates: list[str], name: str = "h.csv", sep: str = ",",
             price: str = "2.50") -> Path:
    """One purchase line per date, customers c0, c1, ... in turn (line n+2 holds dates[n])."""
    lines = [sep.join(["customer_id", "order_date", "amount"])]
    lines += [sep.join([f"c{i % 3}", f'"{d}"' if sep in d else d, price])
              for i, d in enumerate(dates)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _wide(tmp_path: Path, dates: list[str]) -> Path:
    """40 customers, each buying on every date: enough for the CLI to segment."""
    rows = ["customer_id,order_date,amount"]
    rows += [f"k{c},{d},{c % 7 + i + 1}.5" for c in range(40) for i, d in enumerate(dates)]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _days(found) -> tuple[str, str]:
    return found.quality["first_day"], found.quality["last_day"]


def test_two_and_four_digit_years_in_one_column(tmp_path):
    found = customer_features(_history(tmp_path, ["12/06/2010 10:08", "2/20/11 11:39",
                                                  "1/4/2011 9:05", "12/31/10 23:59"]))
    assert _days(found) == ("2010-12-06", "2011-02-20")
    assert found.quality["date_order"] == "month-first"
    assert sorted(found.quality["date_formats"]) == ["%m/%d/%Y", "%m/%d/%y"]
    assert found.as_of == D(2011, 2, 21) and found.notes == []


def test_two_digit_years_never_become_year_11_through_the_cli(cli, tmp_path):
    path = _wide(tmp_path, ["12/06/2010 10:08", "2/20/11 11:39", "3/1/11 8:00", "12/24/10"])
    result = cli("segment", path, "--transactions", "--k", "2", "--out", tmp_path / "o", "-q")
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    quality = summary["transactions"]["quality"]
    assert (quality["first_day"], quality["last_day"]) == ("2010-12-06", "2011-03-01")
    assert quality["lines_before_1970"] == 0 and quality["date_order"] == "month-first"


def test_every_date_ambiguous_reads_month_first_and_warns(tmp_path):
    found = customer_features(_history(tmp_path, ["03/04/2024", "05/06/2024", "01/02/2024"]))
    assert found.quality["date_order"] == "month-first"
    assert _days(found) == ("2024-01-02", "2024-05-06")
    [warning] = found.notes
    assert "could be day-first or month-first" in warning
    assert "they were read month-first" in warning
    assert "--date-format '%d/%m/%Y'" in warning


def test_ambiguous_dates_with_dots_or_a_european_file_read_day_first(tmp_path):
    dots = customer_features(_history(tmp_path, ["03.04.2024", "05.06.2024"], "dots.csv"))
    assert dots.quality["date_order"] == "day-first"
    assert _days(dots) == ("2024-04-03", "2024-06-05")
    assert "--date-format '%m.%d.%Y'" in dots.notes[0]
    european = customer_features(_history(tmp_path, ["03/04/2024", "05/06/2024"], "eu.csv",
                                          sep=";", price="2,50"))
    assert european.quality["date_order"] == "day-first"
    assert "European" in european.notes[0]


def test_one_day_above_12_decides_day_first_for_the_whole_column(tmp_path):
    dates = ["03/04/2024"] * 50 + ["13/01/2024"] + ["05/06/2024 14:30"] * 50
    found = customer_features(_history(tmp_path, dates))
    assert found.quality["date_order"] == "day-first" and found.notes == []
    assert _days(found) == ("2024-01-13", "2024-06-05")


def test_day_first_and_month_first_in_one_column_is_an_error_naming_lines(tmp_path):
    path = _history(tmp_path, ["01/02/2024", "13/01/2024", "02/02/2024", "01/14/2024",
                               "25/03/2024"])
    with pytest.raises(DataError) as caught:
        customer_features(path)
    message = str(caught.value)
    assert "mixes day-first and month-first" in message
    assert "'13/01/2024' (line 3), '25/03/2024' (line 6)" in message
    assert "'01/14/2024' (line 5)" in message and "--date-format" in message


def test_contradictory_column_through_the_cli_is_one_line(cli, tmp_path):
    path = _wide(tmp_path, ["13/01/2024", "01/14/2024"])
    result = cli("segment", path, "--transactions", "--out", tmp_path / "o")
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert "mixes day-first and month-first" in result.err
    assert not (tmp_path / "o").exists()


def test_excel_serial_numbers(tmp_path):
    found = customer_features(_history(tmp_path, ["40179", "40179.75", "40544", "40300.5"]))
    assert found.quality["date_order"] == "excel-serial"
    assert _days(found) == ("2010-01-01", "2011-01-01")
    frame = pd.DataFrame({"customer_id": ["a", "b"], "order_date": [40179.5, 40544.0],
                          "amount": [1.0, 2.0]})
    assert _days(customer_features(frame)) == ("2010-01-01", "2011-01-01")


def test_numbers_that_are_not_all_serials_are_bad_dates(tmp_path):
    with pytest.raises(DataError, match=r"'40179' \(line 3\).*Excel serial dates only when"):
        customer_features(_history(tmp_path, ["2024-01-02", "40179"]))


def test_iso_timestamps_with_zones_keep_the_date_as_written(tmp_path):
    found = customer_features(_history(tmp_path, [
        "2010-12-06T23:30:00-05:00", "2010-12-07T00:30:00+01:00", "2010-12-08T10:00:00Z",
        "2010-12-09 10:00:00.123456", "2010-12-10", "2010-12-11T08:15+0100"]))
    assert found.quality["date_order"] == "iso"
    assert _days(found) == ("2010-12-06", "2010-12-11")
    days = found.connection.execute("SELECT day FROM lines ORDER BY day").fetchall()
    assert [d for (d,) in days] == [D(2010, 12, 6 + i) for i in range(6)]


def test_year_first_compact_and_am_pm(tmp_path):
    found = customer_features(_history(tmp_path, ["2010/12/6", "20101207", "12/8/2010 10:08 PM",
                                                  "12/9/2010, 9:30:00 AM"]))
    assert _days(found) == ("2010-12-06", "2010-12-09")
    assert set(found.quality["date_formats"]) == {"%Y/%m/%d", "%Y%m%d", "%m/%d/%Y"}


def test_dates_before_1970_or_in_the_future_are_counted_and_left_out(tmp_path):
    path = _history(tmp_path, ["2024-01-02", "1960-05-01", "2024-02-03", "2099-01-01",
                               "1969-12-31"])
    found = customer_features(path)
    q = found.quality
    assert (q["lines_before_1970"], q["lines_in_future"], q["lines_after_as_of"]) == (2, 1, 0)
    assert q["lines_used"] == 2 and _days(found) == ("2024-01-02", "2024-02-03")
    assert found.as_of == D(2024, 2, 4)                   # not set by the 2099 line
    assert any("left out as implausible" in n for n in found.notes)
    given = customer_features(path, as_of="2024-01-31")
    q = given.quality
    assert (q["lines_before_1970"], q["lines_in_future"], q["lines_after_as_of"]) == (2, 0, 2)
    assert q["lines_used"] == 1


def test_only_implausible_dates_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"no usable purchase dates \(2 before 1970\)"):
        customer_features(_history(tmp_path, ["1960-05-01", "1961-05-01"]))


def test_bad_dates_error_names_their_lines_with_the_chosen_reading(tmp_path):
    dates = ["31/01/2024", "02/02/2024", "30/02/2024", "03/02/2024", "31/04/2024 10:00",
             "05/02/2024 25:99"]
    with pytest.raises(DataError) as caught:
        customer_features(_history(tmp_path, dates))
    message = str(caught.value)
    assert ("has values that are not dates: '30/02/2024' (line 4), '31/04/2024 10:00' (line 6), "
            "'05/02/2024 25:99' (line 7)") in message
    assert "the other dates read as day-first (%d/%m/%Y)" in message


def test_text_that_is_no_date_is_refused_before_reading_the_lines(tmp_path):
    with pytest.raises(DataError, match=r"'soon' \(line 5\)"):
        customer_features(_history(tmp_path, ["2024-01-02", "2024-01-03", "2024-01-04",
                                              "soon"]))


def test_missing_tokens_are_lines_without_date_not_bad_dates(tmp_path):
    dates = ["2024-01-02", "", "NA", "N/A", "null", "None", "nan", "-", "#N/A", "2024-01-05"]
    found = customer_features(_history(tmp_path, dates))
    assert found.quality["lines_without_date"] == 8
    assert found.quality["lines_used"] == 2


def test_date_format_overrides_and_reads_the_date_before_a_time(tmp_path):
    path = _history(tmp_path, ["03/04/2024 10:08", "05/06/2024 14:30"])
    found = customer_features(path, date_format="%d/%m/%Y")
    assert found.quality["date_order"] == "given" and found.notes == []
    assert _days(found) == ("2024-04-03", "2024-06-05")
    with pytest.raises(DataError, match="is not a strptime format|has no % directive"):
        customer_features(path, date_format="dd/mm/yyyy")


def test_native_timestamps_from_parquet(tmp_path):
    frame = pd.DataFrame({"customer_id": ["a", "b", "a"], "amount": [1.0, 2.0, 3.0],
                          "order_date": pd.to_datetime(["2024-01-02 10:00", "2024-01-03 00:00",
                                                        "1950-01-01 00:00"])})
    frame.to_parquet(tmp_path / "h.parquet")
    found = customer_features(tmp_path / "h.parquet")
    assert found.quality["date_order"] == "native"
    assert _days(found) == ("2024-01-02", "2024-01-03")
    assert found.quality["lines_before_1970"] == 1


def test_the_ambiguity_warning_reaches_the_user(cli, tmp_path):
    path = _wide(tmp_path, ["03/04/2024", "05/06/2024", "07/08/2024"])
    result = cli("segment", path, "--transactions", "--k", "2", "--out", tmp_path / "o")
    assert result.code == 0, result.err
    assert "could be day-first or month-first" in result.err and "--date-format" in result.err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert any("--date-format" in n for n in summary["transactions"]["notes"])
    assert "could be day-first or month-first" in (tmp_path / "o" / "report.html").read_text()


def test_java_patterns_for_spark():
    assert java_pattern("%d/%m/%Y") == "d/M/yyyy"
    assert java_pattern("%Y%m%d") == "yyyyMMdd"
    assert java_pattern("%Y-%m-%dT%H:%M") == "yyyy-M-d'T'H:m"
    assert java_pattern("%d.%m.%y %I:%M %p") == "d.M.yy h:m a"


def test_comma_separators_and_javascript_timestamps(tmp_path):
    found = customer_features(_history(tmp_path, ["12,06,2010", "13,06,2010, 10:08"]))
    assert found.quality["date_order"] == "day-first"
    assert _days(found) == ("2010-06-12", "2010-06-13")
    js = _history(tmp_path, ["12/9/2010, 9:30:00 PM", "12/10/2010, 10:00:00 AM"], "js.csv")
    assert _days(customer_features(js, date_format="%m/%d/%Y")) == ("2010-12-09", "2010-12-10")


def test_ambiguous_day_month_dates_next_to_iso_dates(tmp_path):
    found = customer_features(_history(tmp_path, ["2024-01-15", "03/04/2024"]))
    [warning] = found.notes
    assert "every day/month date in column 'order_date' (1 lines)" in warning
    assert "'03/04/2024' is 4 March 2024" in warning


SPARK_DATES = ["12/06/2010 10:08", "2/20/11 11:39", "NA", "1/5/1960 9:01", "1/5/2099 9:01",
               "12/9/2010, 9:30:00 PM", "", "12/24/10"]


@pytest.mark.e2e
def test_spark_reads_dates_as_the_local_engine_does(tmp_path):
    pytest.importorskip("pyspark")
    from custseg.engines.spark import SparkEngine

    path = _history(tmp_path, SPARK_DATES)
    engine = SparkEngine("local[1]", {}, seed=0)
    try:
        spark = engine.history_features(path, {}, None, None, ReadOptions())
        local = customer_features(path)
        keys = ("first_day", "last_day", "lines_without_date", "lines_before_1970",
                "lines_in_future", "lines_after_as_of", "date_order", "date_formats",
                "lines_used")
        assert {k: spark.quality[k] for k in keys} == {k: local.quality[k] for k in keys}
        assert spark.notes == local.notes and spark.as_of == local.as_of == D(2011, 2, 21)
        bad = _history(tmp_path, ["2024-01-02", "2024-02-30"], "bad.csv")
        with pytest.raises(DataError, match=r"'2024-02-30' \(line 3\)"):
            engine.history_features(bad, {}, None, None, ReadOptions())
    finally:
        engine.close()


def test_a_date_column_with_only_missing_values_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"no usable purchase dates \(3 empty or missing\)"):
        customer_features(_history(tmp_path, ["", "NA", "-"]))
