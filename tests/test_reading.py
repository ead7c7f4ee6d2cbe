"""Reading real exports: numbers as shops write them, dialects, missing tokens, ids as text.

Hand-written cases with the expected value beside each; the corpus in tests/data/messy and the
property test in test_properties.py cover whole runs.
"""

from __future__ import annotations

import csv
import json

import duckdb
import pandas as pd
import pytest

import custseg
from custseg.dialect import ReadOptions
from custseg.errors import ConfigError, DataError
from custseg.features.customers import read_customers
from custseg.io import safe_for_spreadsheets
from custseg.numbers import detect_decimal, number_sql
from custseg.schema import resolve_name

NUMBERS = [
    # text, decimal, value
    ("12.5", ".", 12.5), ("-3", ".", -3.0), ("1e3", ".", 1000.0), (" 7 ", ".", 7.0),
    ("1,234.50", ".", 1234.5), ("1,234", ".", 1234.0), ("£2.55", ".", 2.55),
    ("$1,234", ".", 1234.0), ("2.55 GBP", ".", 2.55), ("(12.50)", ".", -12.5),
    ("1 234.5", ".", 1234.5), ("12,5", ".", None), ("abc", ".", None),
    ("12,5", ",", 12.5), ("1.234,50", ",", 1234.5), ("1.234", ",", 1234.0),
    ("2,55 EUR", ",", 2.55), ("1.234,50 €", ",", 1234.5), ("1 234,5", ",", 1234.5),
    ("-0,75", ",", -0.75), ("12", ",", 12.0),
    ("NA", ".", None), ("n/a", ".", None), ("null", ",", None), ("-", ".", None), ("", ".", None),
]


@pytest.mark.parametrize(("text", "decimal", "value"), NUMBERS)
def test_number_rules(text, decimal, value):
    got = duckdb.execute(
        f"SELECT {number_sql('v', decimal)} FROM (SELECT CAST($1 AS VARCHAR) AS v)",
        [text]).fetchone()[0]
    assert got == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize(("cells", "decimal"), [
    (["12,5", "3,75", "1.234,50"], ","), (["12.5", "3.75", "1,234.50"], "."),
    (["1,234", "2,500"], "."),  # thousands groups alone are no evidence for a comma
    (["7", "8"], "."),
])
def test_decimal_is_decided_by_the_values(cells, decimal):
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"x": cells}))
    assert detect_decimal(con, "t", ["x"]) == decimal


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


ROWS = "".join(f"{i:06d};{20 + i};{i * 3},5;{i % 7}\n" for i in range(1, 31))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom",
                                      "utf-16-be-bom"])
def test_semicolon_decimal_comma_in_every_unicode_encoding(tmp_path, encoding):
    text = "Kundennr;Alter;Umsatz;Besuche\n" + ROWS
    if encoding.endswith("-bom"):
        codec = encoding[:-4]
        (tmp_path / "t.csv").write_bytes("\ufeff".encode(codec) + text.encode(codec))
    else:
        _write(tmp_path / "t.csv", text, encoding)
    table = read_customers(tmp_path / "t.csv", id_col="Kundennr", resolve=resolve_name)
    assert table.dialect.delimiter == ";" and table.dialect.decimal == ","
    assert "delimiter" in table.dialect.guessed and "decimal comma" in table.dialect.guessed
    assert table.frame["Kundennr"].tolist()[:2] == ["000001", "000002"]
    assert table.frame["Umsatz"].tolist()[:2] == [3.5, 6.5]


def test_cp1252_needs_its_encoding_and_then_reads(tmp_path):
    _write(tmp_path / "t.csv", "id,Ville,Age\n1,Orléans,20\n2,Zürich,30\n3,Köln,40\n", "cp1252")
    with pytest.raises(DataError, match="--encoding"):
        read_customers(tmp_path / "t.csv", resolve=resolve_name)
    table = read_customers(tmp_path / "t.csv", ReadOptions(encoding="cp1252"),
                           resolve=resolve_name)
    assert table.frame["Ville"].tolist() == ["Orléans", "Zürich", "Köln"]


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "tabs.csv"), ("|", "pipes.csv"),
                                                  (",", "commas.txt.csv")])
def test_delimiter_is_sniffed_whatever_the_extension(tmp_path, delimiter, name):
    lines = ["customer_id,age,income"] + [f"C-{i:03d},{20 + i},{i * 1.5}" for i in range(20)]
    _write(tmp_path / name, "\n".join(line.replace(",", delimiter) for line in lines) + "\n")
    table = read_customers(tmp_path / name, resolve=resolve_name)
    assert table.dialect.delimiter == delimiter
    assert table.id_column == "customer_id"
    assert list(table.frame.columns) == ["customer_id", "age", "income"]


def test_title_lines_above_the_header_are_skipped_and_stated(tmp_path):
    body = "".join(f"{i},{i * 2},{i % 3}\n" for i in range(1, 21))
    _write(tmp_path / "t.csv", "Customer export\nCreated 2024-01-01\n\nCustomerID,a,b\n" + body)
    table = read_customers(tmp_path / "t.csv", resolve=resolve_name)
    assert table.dialect.header_row == 4 and "header line" in table.dialect.guessed
    assert list(table.frame.columns) == ["CustomerID", "a", "b"]
    assert int(table.frame.index[0]) + 2 == 5  # line numbers in messages stay true


def test_missing_tokens_are_missing_and_counted(tmp_path):
    rows = ["id,age,city"] + [
        f"{i},{'NA' if i % 4 == 0 else 30 + i},{'null' if i % 5 == 0 else 'X'}"
        for i in range(1, 21)]
    _write(tmp_path / "t.csv", "\n".join(rows) + "\n")
    table = read_customers(tmp_path / "t.csv", resolve=resolve_name)
    assert table.frame["age"].isna().sum() == 5 and table.frame["city"].isna().sum() == 4
    assert table.missing_tokens == {"age": 5, "city": 4}


def test_money_text_is_read_and_counted(tmp_path):
    rows = ["id,spend"] + [f'{i},"£{i},{i:03d}.50"' for i in range(1, 11)]
    _write(tmp_path / "t.csv", "\n".join(rows) + "\n")
    table = read_customers(tmp_path / "t.csv", resolve=resolve_name)
    assert table.frame["spend"].tolist()[:2] == [1001.5, 2002.5]
    assert table.converted == {"spend": 10}


def test_duplicate_column_names_are_named(tmp_path):
    _write(tmp_path / "t.csv", "id,Age,age\n1,2,3\n2,3,4\n")
    with pytest.raises(DataError, match=r"duplicate column names \('Age', 'age'\)"):
        read_customers(tmp_path / "t.csv", resolve=resolve_name)


def test_more_fields_than_the_header_names_the_line(tmp_path):
    _write(tmp_path / "t.csv", "id,a,b\n1,2,3\n2,3,4,5\n3,4,5\n")
    with pytest.raises(DataError, match="line 3 has more fields than its header"):
        read_customers(tmp_path / "t.csv", ReadOptions(delimiter=","), resolve=resolve_name)


def test_excel_sheet_and_title_rows(tmp_path):
    frame = pd.DataFrame({"CustomerID": ["007", "008", "009"], "spend": [1.5, 2.5, 3.5]})
    with pd.ExcelWriter(tmp_path / "t.xlsx") as writer:
        pd.DataFrame([["About this file"]]).to_excel(writer, sheet_name="About", index=False,
                                                     header=False)
        frame.to_excel(writer, sheet_name="Data", index=False, startrow=2)
    table = read_customers(tmp_path / "t.xlsx", resolve=resolve_name)
    assert table.dialect.sheet == "Data" and table.dialect.header_row == 3
    assert table.frame["CustomerID"].tolist() == ["007", "008", "009"]
    with pytest.raises(DataError, match="sheet 'Nope' not found.*'About', 'Data'"):
        read_customers(tmp_path / "t.xlsx", ReadOptions(sheet="Nope"), resolve=resolve_name)


def test_nested_json_lines_are_flattened_with_dots(tmp_path):
    with open(tmp_path / "t.jsonl", "w") as handle:
        for i in range(5):
            handle.write(json.dumps({"customer": {"id": f"00{i}"}, "stats": {"age": 20 + i}})
                         + "\n")
    table = read_customers(tmp_path / "t.jsonl", id_col="customer.id", resolve=resolve_name)
    assert table.frame["customer.id"].tolist() == [f"00{i}" for i in range(5)]
    assert table.frame["stats.age"].tolist() == [20, 21, 22, 23, 24]


def test_bad_read_options_are_one_line_errors():
    with pytest.raises(ConfigError, match="'delimiter' parameter must be one character"):
        ReadOptions(delimiter="ab")
    with pytest.raises(ConfigError, match="'decimal' parameter must be"):
        ReadOptions(decimal=";")
    with pytest.raises(ConfigError, match="'header_row' parameter must be an int >= 1"):
        ReadOptions(header_row=0)
    with pytest.raises(DataError, match="unknown encoding"):
        ReadOptions(encoding="klingon")


IDS = ["000123", "C-0042", "9223372036854775807", "AB 12", "+44 7700 900001", "0012346",
       "12346", "007"]


def _ids_written(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return [r[0] for r in rows[1:]]


def test_ids_come_back_exactly_from_segment_score_and_export(cli, tmp_path):
    # every id unique: a suffix keeps leading zeros and prefixes
    ids = [f"{cid}{'' if n == 0 else n}" for n in range(3) for cid in IDS]
    rows = ["customer_id,spend,visits"] + [f"{cid},{10 + 7 * i},{i % 4}"
                                           for i, cid in enumerate(ids)]
    _write(tmp_path / "t.csv", "\n".join(rows) + "\n")
    assert cli("segment", tmp_path / "t.csv", "--k", "2", "--out", tmp_path / "o",
               "-q").code == 0
    assert sorted(_ids_written(tmp_path / "o" / "segments.csv")) == sorted(ids)
    assert cli("score", "--model", tmp_path / "o" / "model.json", tmp_path / "t.csv", "--out",
               tmp_path / "scored.csv").code == 0
    assert _ids_written(tmp_path / "scored.csv") == ids
    assert cli("export", "--segments", tmp_path / "o", "--segment", "0", "--out",
               tmp_path / "list.csv", "--holdout", "0%").code == 0
    assert set(_ids_written(tmp_path / "list.csv")) <= set(ids)


def test_history_ids_are_text_zero_padded_customers_stay_apart(tmp_path):
    lines = pd.DataFrame({
        "customer_id": ["0012346", "12346", "0012346", "NA", "null", "-", "12346"],
        "date": ["2024-01-02", "2024-01-03", "2024-02-01", "2024-01-05", "2024-01-06",
                 "2024-01-07", "2024-03-01"],
        "amount": ["10,50", "3,00", "7,25", "1,00", "1,00", "1,00", "2,00"]})
    lines.to_csv(tmp_path / "h.csv", sep=";", index=False)
    for path in (tmp_path / "h.csv",):
        found = custseg.features.transactions.customer_features(path)
        assert sorted(found.frame["customer_id"].tolist()) == ["0012346", "12346"]
        assert found.quality["lines_without_customer"] == 3
        money = found.frame.set_index("customer_id")["monetary"]
        assert money["0012346"] == pytest.approx(17.75) and money["12346"] == pytest.approx(5.0)


@pytest.mark.parametrize("kind", ["parquet", "xlsx", "jsonl"])
def test_history_ids_keep_leading_zeros_in_every_format(tmp_path, kind):
    lines = pd.DataFrame({"customer_id": ["007", "007", "010", "0100"],
                          "date": ["2024-01-02", "2024-02-01", "2024-01-05", "2024-01-09"],
                          "amount": [1.5, 2.0, 3.0, 4.0]})
    path = tmp_path / f"h.{kind}"
    if kind == "parquet":
        lines.to_parquet(path)
    elif kind == "xlsx":
        lines.to_excel(path, index=False)
    else:
        lines.to_json(path, orient="records", lines=True)
    found = custseg.features.transactions.customer_features(path)
    assert sorted(found.frame["customer_id"].tolist()) == ["007", "010", "0100"]


def test_spreadsheet_safety_leaves_phone_numbers_alone():
    frame = pd.DataFrame({"id": ["+44 7700 900001", "-12", "+1+1", "=SUM(A1)", "@x", "-2+3",
                                 "+44 (0)20 7946 0000"]})
    safe = safe_for_spreadsheets(frame)["id"].tolist()
    assert safe == ["+44 7700 900001", "-12", "'+1+1", "'=SUM(A1)", "'@x", "'-2+3",
                    "+44 (0)20 7946 0000"]


def test_history_number_errors_count_title_lines(tmp_path):
    _write(tmp_path / "h.csv", "Sales export\n\ncustomer_id,date,amount\nA,2024-01-02,5\n"
           "B,2024-01-03,oops\nA,2024-02-01,7\n")
    with pytest.raises(DataError, match=r"'oops' \(line 5\)"):
        custseg.features.transactions.customer_features(tmp_path / "h.csv")
