"""Property: whatever messy table or purchase history a user brings, custseg either segments it
keeping every customer id exactly as written, or refuses it in one line (exit 2). Never exit 1,
never "unexpected", never a traceback.

Hypothesis draws the shape of an export (headers, delimiter ``,`` ``;`` tab ``|``, encoding
UTF-8 / UTF-8 with BOM / UTF-16 LE or BE with BOM / cp1252, line endings, quoting, missing-value
tokens, numbers with decimal commas, thousands separators or currency signs, dates in varied
formats, ids with leading zeros, prefixes, 19 digits, inner spaces and ``+``) and a seed for the
values; the file is written and run through ``custseg.cli.main`` in-process.

Exit 0 means: segments.csv's first column, read as text with the csv module, is exactly the set
of ids that were not missing (for a history: of customers with at least one dated line), each
once; ids a spreadsheet would run as a formula carry a leading apostrophe (none are drawn here
except '+44 ...' phone numbers, which must come back unchanged).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from custseg.cli import main

from .test_messy_corpus import read_first_column, spreadsheet_safe

BOUNDED = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture,
                                          HealthCheck.data_too_large])

MISSING = ["", "NA", "N/A", "null", "NULL", "None", "nan", "-", "#N/A", " NA "]
DELIMITERS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"]
ID_STYLES = ["int", "zeros", "prefix", "digits19", "phone", "spaces", "mixed"]
NUMBER_STYLES = ["plain", "int", "decimal_comma", "thousands_comma", "thousands_dot",
                 "pound", "euro", "dollar"]
ID_HEADERS = ["CustomerID", "Customer ID", "customer_id", "Kundennummer", "N° client",
              "Client #", "ID", "Member No."]
FEATURE_HEADERS = ["Age", "Annual Income (k$)", "Spending Score (1-100)", "Umsatz €", "Dépenses",
                   "visits", "Basket Ø", "Recency days", "Score %", "Total Spent", "Orders"]
CUSTOMER_HEADERS = ["CustomerID", "Customer ID", "customer_id", "Member_number", "Kundennr",
                    "client"]
DATE_HEADERS = ["InvoiceDate", "Date", "order_date", "Datum", "created_at"]
DATE_STYLES = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%d.%m.%Y",
               "%d-%m-%Y", "iso_z", "iso_offset", "excel", "us_mixed_years"]


# --- values ------------------------------------------------------------------------------------

def make_ids(style: str, n: int, rng: random.Random) -> list[str]:
    """``n`` distinct ids in one of the styles real exports use."""
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        pick = style if style != "mixed" else rng.choice(ID_STYLES[:-1])
        number = rng.randrange(1, 10**6)
        value = {
            "int": str(number),
            "zeros": f"{number:0{rng.choice([7, 8, 10])}d}",
            "prefix": rng.choice(["C-", "CUST", "K-", "cl_"]) + f"{number:05d}",
            "digits19": str(rng.randrange(10**18, 10**19)),
            "phone": f"+{rng.choice([44, 49, 1, 33])} {rng.randrange(1000, 9999)} "
                     f"{rng.randrange(100000, 999999)}",
            "spaces": f"AB {number:04d} {rng.randrange(10)}",
        }[pick]
        if value not in seen:
            seen.add(value)
            ids.append(value)
    return ids


def fmt_number(x: float, style: str) -> str:
    if style == "int":
        return str(int(round(x)))
    if style == "plain":
        return f"{x:.2f}"
    if style == "decimal_comma":
        return f"{x:.2f}".replace(".", ",")
    if style == "thousands_comma":
        return f"{x:,.2f}"
    if style == "thousands_dot":
        return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    if style == "pound":
        return f"£{x:,.2f}"
    if style == "euro":
        return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") + " €"
    return f"${x:,.0f}"  # dollar


def fmt_date(when: dt.datetime, style: str, rng: random.Random) -> str:
    if style == "iso_z":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "iso_offset":
        return when.strftime("%Y-%m-%dT%H:%M:%S") + rng.choice(["+01:00", "+00:00", "-04:00"])
    if style == "excel":
        return str((when.date() - dt.date(1899, 12, 30)).days)
    if style == "us_mixed_years":
        year = str(when.year) if rng.random() < 0.5 else f"{when.year % 100:02d}"
        return f"{when.month}/{when.day}/{year} {when.hour}:{when.minute:02d}"
    return when.strftime(style)


@dataclass
class Export:
    """A file to write and how to run it."""

    name: str
    text: str
    encoding: str
    args: list[str]
    expected_ids: set[str]
    notes: dict[str, object] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        data = self.text.encode(self.encoding.replace("-sig", ""), errors="strict")
        bom = {"utf-8-sig": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
        path.write_bytes(bom.get(self.encoding, b"") + data)
        return path


def render(rows: list[list[str]], delimiter: str, newline: str, quote_all: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()


# --- strategies --------------------------------------------------------------------------------

layouts = st.fixed_dictionaries({
    "delimiter": st.sampled_from(DELIMITERS),
    "encoding": st.sampled_from(ENCODINGS),
    "newline": st.sampled_from(["\n", "\r\n"]),
    "quote_all": st.booleans(),
    "tsv_suffix": st.booleans(),
    "say_encoding": st.booleans(),
    "say_delimiter": st.booleans(),
    "id_style": st.sampled_from(ID_STYLES),
    "number_style": st.sampled_from(NUMBER_STYLES),
    "missing_rate": st.sampled_from([0.0, 0.05, 0.2]),
    "missing_ids": st.sampled_from([0, 0, 0, 1, 3]),
    "seed": st.integers(0, 2**32 - 1),
})


def _file_options(layout: dict, frame_name: str) -> tuple[str, list[str]]:
    """File name and the --encoding/--delimiter options a user might add."""
    tab = layout["delimiter"] == "\t"
    name = frame_name + (".tsv" if tab and layout["tsv_suffix"] else ".csv")
    args: list[str] = []
    if layout["say_encoding"] and layout["encoding"] == "cp1252":
        args += ["--encoding", "cp1252"]
    if layout["say_delimiter"]:
        args += ["--delimiter", "tab" if tab else layout["delimiter"]]
    return name, args


@st.composite
def tables(draw: st.DrawFn) -> Export:
    layout = draw(layouts)
    n_rows = draw(st.integers(20, 60))
    id_header = draw(st.sampled_from(ID_HEADERS))
    features = draw(st.lists(st.sampled_from(FEATURE_HEADERS), min_size=1, max_size=4,
                             unique=True))
    rng = random.Random(layout["seed"])
    ids = make_ids(layout["id_style"], n_rows, rng)
    rows = [[id_header, *features]]
    expected = set()
    missing_at = set(rng.sample(range(n_rows), layout["missing_ids"]))
    for i, customer in enumerate(ids):
        cells = [rng.choice(MISSING) if i in missing_at else customer]
        if i not in missing_at:
            expected.add(customer)
        centre = rng.choice([0.2, 1.0, 5.0])
        for _ in features:
            if rng.random() < layout["missing_rate"]:
                cells.append(rng.choice(MISSING))
            else:
                cells.append(fmt_number(abs(rng.gauss(centre, 0.3)) * 900 + 1,
                                        layout["number_style"]))
        rows.append(cells)
    name, args = _file_options(layout, "table")
    text = render(rows, layout["delimiter"], layout["newline"], layout["quote_all"])
    return Export(name, text, layout["encoding"], ["--id-col", id_header, *args, "--k", "2"],
                  expected, {"layout": layout, "features": features})


@st.composite
def histories(draw: st.DrawFn) -> Export:
    layout = draw(layouts)
    n_customers = draw(st.integers(5, 20))
    customer_header = draw(st.sampled_from(CUSTOMER_HEADERS))
    date_header = draw(st.sampled_from(DATE_HEADERS))
    money = draw(st.sampled_from(["amount", "quantity_price", "none"]))
    with_order = draw(st.booleans())
    date_style = draw(st.sampled_from(DATE_STYLES))
    say_date_format = draw(st.booleans()) and date_style.startswith("%")
    missing_customer_rate = draw(st.sampled_from([0.0, 0.1]))
    missing_date_rate = draw(st.sampled_from([0.0, 0.1]))
    rng = random.Random(layout["seed"])
    ids = make_ids(layout["id_style"], n_customers, rng)
    header = [customer_header, date_header]
    header += {"amount": ["amount"], "quantity_price": ["Quantity", "UnitPrice"],
               "none": []}[money]
    header += ["InvoiceNo"] if with_order else []
    rows = [header]
    expected = set()
    start = dt.datetime(2010, 12, 1)
    order = 500000
    for customer in ids:
        for _ in range(rng.randint(1, 6)):
            order += 1
            when = start + dt.timedelta(days=rng.randrange(700),
                                        minutes=rng.randrange(8 * 60, 18 * 60))
            who = customer if rng.random() >= missing_customer_rate else rng.choice(MISSING)
            day = (fmt_date(when, date_style, rng) if rng.random() >= missing_date_rate
                   else rng.choice(MISSING))
            if who == customer and day not in MISSING:
                expected.add(customer)
            cells = [who, day]
            if money == "amount":
                cells.append(fmt_number(rng.uniform(1, 3000), layout["number_style"]))
            elif money == "quantity_price":
                cells += [str(rng.randint(1, 24)),
                          fmt_number(rng.uniform(0.5, 40), layout["number_style"])]
            if with_order:
                cells.append(str(order))
            rows.append(cells)
    body = rows[1:]
    rng.shuffle(body)
    name, args = _file_options(layout, "history")
    args = ["--transactions", "--customer-col", customer_header, "--date-col", date_header,
            *args, "--k", "2"]
    if money == "amount":
        args += ["--amount-col", "amount"]
    if say_date_format:
        args += ["--date-format", date_style]
    text = render([header, *body], layout["delimiter"], layout["newline"], layout["quote_all"])
    return Export(name, text, layout["encoding"], args, expected,
                  {"layout": layout, "money": money, "date_style": date_style})


# --- the property ------------------------------------------------------------------------------

def check(export: Export, capsys: pytest.CaptureFixture[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="custseg-prop-"))
    try:
        path = export.write(folder)
        out = folder / "out"
        capsys.readouterr()
        code = main(["segment", str(path), "--out", str(out), "--quiet", *export.args])
        err = capsys.readouterr().err
        event(f"exit {code}")
        assert "Traceback" not in err, err
        assert "unexpected" not in err.lower(), err
        assert code in (0, 2), f"exit {code}: {err.strip()}"
        if code == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1, f"exit 2 should print one line, got:\n{err}"
            assert lines[0].startswith("custseg: error: "), lines[0]
            assert not (out / "segments.csv").exists(), "a refused run left segments.csv"
            return
        _, ids = read_first_column(out / "segments.csv")
        expected = {spreadsheet_safe(i) for i in export.expected_ids}
        assert len(ids) == len(set(ids)), "segments.csv lists an id twice"
        lost, extra = sorted(expected - set(ids)), sorted(set(ids) - expected)
        assert not lost and not extra, (
            f"ids changed: missing {lost[:4]} ({len(lost)}), unexpected {extra[:4]} "
            f"({len(extra)}); stderr: {err.strip()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@BOUNDED
@given(export=tables())
def test_any_table_keeps_every_id_or_is_refused_in_one_line(
        export: Export, capsys: pytest.CaptureFixture[str]) -> None:
    check(export, capsys)


@BOUNDED
@given(export=histories())
def test_any_history_keeps_every_id_or_is_refused_in_one_line(
        export: Export, capsys: pytest.CaptureFixture[str]) -> None:
    check(export, capsys)
