"""Writes the messy-input corpus in tests/data/messy/ and its manifest, cases.json.

The files imitate what shops' and CRMs' exports look like in the wild: other delimiters, decimal
commas, byte-order marks, UTF-16 and cp1252 text, money written with symbols and thousands
separators, missing-value tokens, title rows above the header, Excel workbooks with several
sheets, nested JSON lines, ids with leading zeros, prefixes, 19 digits, spaces and '+', dates in
every order and format. Each case in the manifest says how to run it and what must hold:

    {"name": ..., "file": ..., "about": ..., "args": [...], "exit": 0 | 2 | [0, 2], "checks": {...}}

``args`` come after ``custseg segment FILE --out DIR --quiet``. ``checks`` (see
tests/test_messy_corpus.py for their meaning) are about outcomes, never about exact wording.

Everything is derived from fixed seeds, so running this script again rewrites the same bytes
(the Excel files get fixed timestamps). The files are committed; run it only to change the corpus:

    .venv/bin/python tests/messy_corpus.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "data" / "messy"
MISSING_TOKENS = ["", "NA", "N/A", "null", "NULL", "None", "nan", "-", "#N/A"]
DEFAULT_MONEY_FEATURES = ["recency_days", "frequency", "monetary", "avg_order_value",
                          "tenure_days"]
DEFAULT_NO_MONEY_FEATURES = ["recency_days", "frequency", "tenure_days", "distinct_products",
                             "total_items"]
PRODUCTS = ["WHITE HANGING HEART T-LIGHT HOLDER", "REGENCY CAKESTAND 3 TIER", "JUMBO BAG RED",
            "PARTY BUNTING", "LUNCH BAG BLACK SKULL", "SET OF 3 CAKE TINS", "ALARM CLOCK BAKELIKE",
            "PAPER CHAIN KIT", "HOT WATER BOTTLE", "NATURAL SLATE HEART"]
GROCERIES = ["whole milk", "other vegetables", "rolls/buns", "soda", "yogurt", "bottled water",
             "root vegetables", "tropical fruit", "shopping bags", "sausage"]

CASES: list[dict[str, Any]] = []


# --- writing -----------------------------------------------------------------------------------

def add(name: str, file: str, about: str, args: list[str] | None = None, exit: Any = 0,
        **checks: Any) -> None:
    entry: dict[str, Any] = {"name": name, "file": file, "about": about, "args": args or [],
                             "exit": exit}
    for key in ("out", "before", "sklearn_k"):
        if key in checks:
            entry[key] = checks.pop(key)
    entry["checks"] = checks
    CASES.append(entry)


def text_table(rows: list[list[Any]], delimiter: str = ",", newline: str = "\n",
               quoting: int = csv.QUOTE_MINIMAL) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def save_text(file: str, text: str, encoding: str = "utf-8", bom: bool = False) -> None:
    """``encoding`` utf-16-le/utf-16-be with ``bom`` writes the byte-order mark as Excel does."""
    data = text.encode(encoding)
    if bom:
        data = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe",
                "utf-16-be": b"\xfe\xff"}[encoding] + data
    (OUT / file).write_bytes(data)


def save_rows(file: str, rows: list[list[Any]], delimiter: str = ",", newline: str = "\n",
              encoding: str = "utf-8", bom: bool = False,
              quoting: int = csv.QUOTE_MINIMAL) -> None:
    save_text(file, text_table(rows, delimiter, newline, quoting), encoding, bom)


FIXED_ZIP_TIME = (2024, 1, 2, 3, 4, 6)


def save_workbook(file: str, sheets: list[tuple[str, list[list[Any]]]]) -> None:
    """An .xlsx with the given sheets (first is active), byte-for-byte reproducible."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    fixed = dt.datetime(2024, 1, 2, 3, 4, 5)
    book.properties.created = fixed
    book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms)")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(OUT / file, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = stamp.sub(rb"\g<1>2024-01-02T03:04:05Z\g<2>", data)
            fresh = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fresh.compress_type = zipfile.ZIP_DEFLATED
            fresh.external_attr = 0o644 << 16
            target.writestr(fresh, data)


def save_jsonl(file: str, records: list[dict[str, Any]]) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (OUT / file).write_text("\n".join(lines) + "\n", encoding="utf-8")


def save_parquet(file: str, columns: dict[str, list[Any]], types: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: pa.array(values, type=types[name])
                      for name, values in columns.items()})
    pq.write_table(table, OUT / file, compression="snappy")


# --- values ------------------------------------------------------------------------------------

CENTRES = [(25, 30, 80), (45, 70, 20), (60, 40, 50)]  # age, income (k), score


def people(rng: random.Random, n: int) -> list[tuple[int, float, int]]:
    """Age, annual income in thousands, spending score: three planted groups."""
    out = []
    for i in range(n):
        age, income, score = CENTRES[i % 3]
        out.append((max(18, int(rng.gauss(age, 5))), round(max(5.0, rng.gauss(income, 8)), 1),
                    min(99, max(1, int(rng.gauss(score, 9))))))
    return out


def comma_decimal(x: float, places: int = 2, thousands: str = "") -> str:
    """1234.5 -> '1234,50' (or '1.234,50' with thousands='.')."""
    text = f"{x:,.{places}f}"  # 1,234.50
    whole, frac = text.split(".") if places else (text, "")
    whole = whole.replace(",", thousands)
    return f"{whole},{frac}" if places else whole


def number(text: Any, decimal: str = ".") -> float:
    """What a written amount means: '£1,234.50', '1.234,50 €', '2,55 EUR', '$1,234' ..."""
    text = re.sub(r"[£$€]|EUR", "", str(text)).strip()
    if decimal == ",":
        text = text.replace(".", "").replace(",", ".")
    return float(text.replace(",", ""))


def column_mean(rows: list[list[Any]], header: str, decimal: str = ".") -> float:
    at = rows[0].index(header)
    values = [number(row[at], decimal) for row in rows[1:]]
    return round(sum(values) / len(values), 6)


def means(rows: list[list[Any]], headers: list[str], decimal: str = ".") -> dict[str, float]:
    return {h: column_mean(rows, h, decimal) for h in headers}


def zero_ids(n: int, width: int = 6, start: int = 17) -> list[str]:
    return [f"{start + 7 * i:0{width}d}" for i in range(n)]


# --- customer tables ---------------------------------------------------------------------------

def tables() -> None:
    rng = random.Random(101)
    base = people(rng, 60)

    # t01: plain comma CSV, ids with leading zeros.
    ids = zero_ids(60)
    rows = [["CustomerID", "Age", "Annual Income", "Spending Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, base, strict=True)]
    save_rows("t01_comma_leading_zero_ids.csv", rows)
    add("comma-leading-zero-ids", "t01_comma_leading_zero_ids.csv",
        "plain comma CSV whose ids have leading zeros (000017)", ["--k", "3"],
        ids=ids, id_column="CustomerID", n_customers=60,
        features=["Age", "Annual Income", "Spending Score"],
        dialect={"delimiter": ",", "decimal": "."})

    # t02: German export: semicolon, decimal comma.
    rng = random.Random(102)
    ids = [f"K-{1000 + i}" for i in range(50)]
    rows = [["Kundennummer", "Alter", "Jahreseinkommen", "Punkte"]]
    rows += [[i, a, comma_decimal(inc, 1), s]
             for i, (a, inc, s) in zip(ids, people(rng, 50), strict=True)]
    save_rows("t02_semicolon_decimal_comma.csv", rows, delimiter=";", newline="\r\n")
    add("semicolon-decimal-comma", "t02_semicolon_decimal_comma.csv",
        "German shop export: ';' delimiter, decimal comma (45,5), CRLF",
        ["--id-col", "Kundennummer", "--k", "3"],
        ids=ids, n_customers=50, features=["Alter", "Jahreseinkommen", "Punkte"],
        means=means(rows, ["Jahreseinkommen"], ","), dialect={"delimiter": ";", "decimal": ","})

    # t03: tab-separated file named .csv.
    rng = random.Random(103)
    ids = [str(5000 + i) for i in range(40)]
    rows = [["Customer ID", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t03_tab_named_csv.csv", rows, delimiter="\t")
    add("tab-in-csv", "t03_tab_named_csv.csv", "tab-separated file saved with a .csv name",
        ["--k", "3"], ids=ids, n_customers=40, features=["Age", "Income", "Score"],
        dialect={"delimiter": "\t"})

    # t04: pipe-delimited, padded cells, prefixed ids.
    rng = random.Random(104)
    ids = [f"C-{i:05d}" for i in range(3, 3 + 45)]
    lines = ["client_id | age | income | score"]
    lines += [f"{i} | {a} | {inc} | {s}" for i, (a, inc, s) in zip(ids, people(rng, 45),
                                                                   strict=True)]
    save_text("t04_pipe_padded.csv", "\n".join(lines) + "\n")
    add("pipe-padded", "t04_pipe_padded.csv",
        "'|'-delimited database dump with spaces around every cell, ids C-00012",
        ["--id-col", "client_id", "--k", "3"], ids=ids, n_customers=45,
        features=["age", "income", "score"], dialect={"delimiter": "|"})

    # t05: .tsv with prefixed alphanumeric ids.
    rng = random.Random(105)
    ids = [f"CUST{i:04d}A" for i in range(1, 36)]
    rows = [["member_id", "visits", "basket_avg", "tenure_months"]]
    rows += [[i, int(a / 5), inc, s // 4] for i, (a, inc, s) in zip(ids, people(rng, 35),
                                                                     strict=True)]
    save_rows("t05_plain.tsv", rows, delimiter="\t")
    add("tsv-alphanumeric-ids", "t05_plain.tsv", ".tsv with ids like CUST0001A", ["--k", "3"],
        ids=ids, n_customers=35, features=["visits", "basket_avg", "tenure_months"],
        dialect={"delimiter": "\t"})

    # t06: UTF-8 with BOM (Excel "CSV UTF-8").
    rng = random.Random(106)
    ids = zero_ids(40, width=8, start=120)
    rows = [["CustomerID", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t06_utf8_bom.csv", rows, newline="\r\n", bom=True)
    add("utf8-bom", "t06_utf8_bom.csv",
        "Excel 'CSV UTF-8': byte-order mark before the first header", ["--k", "3"],
        ids=ids, id_column="CustomerID", n_customers=40, features=["Age", "Income", "Score"],
        encoding_like="utf-8")

    # t07: Excel "Unicode text": UTF-16 LE with BOM, tabs, CRLF.
    rng = random.Random(107)
    ids = [f"{i:05d}" for i in range(30, 70)]
    rows = [["Kunde Nr", "Âge", "Revenu", "Fidélité"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t07_utf16le_bom_tab.csv", rows, delimiter="\t", newline="\r\n",
              encoding="utf-16-le", bom=True)
    add("utf16le-bom-tab", "t07_utf16le_bom_tab.csv",
        "Excel 'Unicode text': UTF-16 LE with BOM, tab-separated, accented headers",
        ["--id-col", "Kunde Nr", "--k", "3"], ids=ids, n_customers=40,
        features=["Âge", "Revenu", "Fidélité"], encoding_like="utf-16",
        dialect={"delimiter": "\t"})

    # t08: UTF-16 BE with BOM, commas.
    rng = random.Random(108)
    ids = [str(900 + i) for i in range(36)]
    rows = [["CustomerID", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 36), strict=True)]
    save_rows("t08_utf16be_bom.csv", rows, encoding="utf-16-be", bom=True)
    add("utf16be-bom", "t08_utf16be_bom.csv", "UTF-16 BE with BOM, comma-separated",
        ["--k", "3"], ids=ids, n_customers=36, features=["Age", "Income", "Score"],
        encoding_like="utf-16", dialect={"delimiter": ","})

    # t09 / t10 / t11: legacy Windows encodings.
    rng = random.Random(109)
    favourites = ["Café", "Crème brûlée", "Pâtisserie", "Smörgås"]
    ids = [f"{i:04d}" for i in range(1, 41)]
    rows = [["CustomerID", "Age", "Income", "Favourite"]]
    rows += [[i, a, inc, favourites[n % 4]]
             for n, (i, (a, inc, _s)) in enumerate(zip(ids, people(rng, 40), strict=True))]
    save_rows("t09_cp1252_no_encoding.csv", rows, newline="\r\n", encoding="cp1252")
    add("cp1252-without-encoding", "t09_cp1252_no_encoding.csv",
        "cp1252 text (é, û, ö) and no --encoding: read it, or refuse naming --encoding",
        ["--k", "3"], exit=[0, 2], stderr_contains="--encoding", ids=ids, n_customers=40)

    rng = random.Random(110)
    ids = [f"{i:04d}" for i in range(1, 41)]
    rows = [["Kundennr", "Alter", "Umsatz €", "Lieblingsfiliale"]]
    rows += [[i, a, comma_decimal(inc * 10, 2), ["Köln", "Düsseldorf", "Münster"][n % 3]]
             for n, (i, (a, inc, _s)) in enumerate(zip(ids, people(rng, 40), strict=True))]
    save_rows("t10_cp1252_semicolon.csv", rows, delimiter=";", newline="\r\n",
              encoding="cp1252")
    add("cp1252-with-encoding", "t10_cp1252_semicolon.csv",
        "cp1252 semicolon export with '€' in a header, read with --encoding cp1252",
        ["--encoding", "cp1252", "--id-col", "Kundennr", "--k", "3"], ids=ids, n_customers=40,
        features=["Alter", "Umsatz €", "Lieblingsfiliale"], means=means(rows, ["Umsatz €"], ","),
        dialect={"delimiter": ";", "decimal": ","})

    rng = random.Random(111)
    ids = [f"FR{i:06d}" for i in range(40)]
    rows = [["Numéro client", "Âge", "Dépenses", "Visites"]]
    rows += [[i, a, comma_decimal(inc * 3, 2), s // 5]
             for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t11_latin1_semicolon.csv", rows, delimiter=";", encoding="latin-1")
    add("latin1-with-encoding", "t11_latin1_semicolon.csv",
        "latin-1 French export, ';' and decimal comma, with --encoding latin-1",
        ["--encoding", "latin-1", "--id-col", "Numéro client", "--k", "3"], ids=ids,
        n_customers=40, features=["Âge", "Dépenses", "Visites"],
        means=means(rows, ["Dépenses"], ","), dialect={"delimiter": ";", "decimal": ","})

    # t12-t14: money written with symbols and separators.
    rng = random.Random(112)
    ids = [str(20000 + i) for i in range(40)]
    rows = [["Customer", "Total Spent", "Orders"]]
    for i, (_a, inc, s) in zip(ids, people(rng, 40), strict=True):
        rows.append([i, f"£{inc * 37:,.2f}" if s % 3 else f"£{inc / 10:.2f}", s // 7 + 1])
    save_rows("t12_money_pound.csv", rows)
    add("money-pound", "t12_money_pound.csv",
        "spend written £2.55 and \"£1,234.50\": parsed as a number, kept as a feature",
        ["--id-col", "Customer", "--k", "3"], ids=ids, n_customers=40,
        features=["Total Spent", "Orders"], means=means(rows, ["Total Spent"]))

    rng = random.Random(113)
    ids = [str(30000 + i) for i in range(40)]
    rows = [["customer_id", "Lifetime Value", "Avg Basket", "Orders"]]
    for i, (_a, inc, s) in zip(ids, people(rng, 40), strict=True):
        rows.append([i, f"${round(inc * 41):,}", f"{inc * 23.3:,.2f}", s // 7 + 1])
    save_rows("t13_money_dollar_thousands.csv", rows)
    add("money-dollar-thousands", "t13_money_dollar_thousands.csv",
        "money as $1,234 and \"1,234.50\" (thousands separators inside a comma CSV)",
        ["--k", "3"], ids=ids, n_customers=40,
        features=["Lifetime Value", "Avg Basket", "Orders"],
        means=means(rows, ["Lifetime Value", "Avg Basket"]))

    rng = random.Random(114)
    ids = [f"DE-{i:03d}" for i in range(40)]
    rows = [["Kunde", "Umsatz", "Gutschrift", "Bestellungen"]]
    for i, (_a, inc, s) in zip(ids, people(rng, 40), strict=True):
        rows.append([i, comma_decimal(inc * 45, 2, ".") + " €",
                     comma_decimal(inc / 9, 2) + " EUR", s // 7 + 1])
    save_rows("t14_money_euro_semicolon.csv", rows, delimiter=";")
    add("money-euro", "t14_money_euro_semicolon.csv",
        "money as 1.234,50 € and 2,55 EUR in a semicolon file",
        ["--id-col", "Kunde", "--k", "3"], ids=ids, n_customers=40,
        features=["Umsatz", "Gutschrift", "Bestellungen"],
        means=means(rows, ["Umsatz", "Gutschrift"], ","),
        dialect={"delimiter": ";", "decimal": ","})

    # t15: a stray word in a numeric column.
    rng = random.Random(115)
    rows = [["CustomerID", "Age", "Income", "Score"]]
    rows += [[i + 1, a, inc, s] for i, (a, inc, s) in enumerate(people(rng, 30))]
    rows[16][1] = "sixty"  # file line 17
    save_rows("t15_numeric_with_text.csv", rows)
    add("numeric-with-text", "t15_numeric_with_text.csv",
        "'sixty' in the numeric Age column at line 17: refused naming the column and line",
        ["--k", "3"], exit=2, stderr_contains=["Age", "17"])

    # t16: every missing-value token, in numbers and in a category.
    rng = random.Random(116)
    ids = [f"M{i:03d}" for i in range(1, 55)]
    rows = [["CustomerID", "Age", "Income", "Score", "Channel"]]
    missing_income = missing_score = 0
    for n, (i, (a, inc, s)) in enumerate(zip(ids, people(rng, 54), strict=True)):
        income: Any = inc
        score: Any = s
        channel = ["web", "store", "phone"][n % 3]
        if n % 6 == 1:
            income = MISSING_TOKENS[(n // 6) % len(MISSING_TOKENS)]
            missing_income += 1
        if n % 7 == 3:
            score = MISSING_TOKENS[(n // 7 + 4) % len(MISSING_TOKENS)]
            missing_score += 1
        if n % 9 == 5:
            channel = MISSING_TOKENS[(n // 9 + 1) % len(MISSING_TOKENS)]
        rows.append([i, a, income, score, channel])
    save_rows("t16_missing_tokens.csv", rows)
    add("missing-tokens-table", "t16_missing_tokens.csv",
        "NA, N/A, null, NULL, None, nan, -, #N/A and empty cells: missing, not text",
        ["--k", "3"], ids=ids, n_customers=54,
        features=["Age", "Income", "Score", "Channel"],
        missing_counted={"Income": missing_income, "Score": missing_score})

    # t17: the same header twice.
    rng = random.Random(117)
    rows = [["CustomerID", "Age", "Income", "Age"]]
    rows += [[i + 1, a, inc, a + 1] for i, (a, inc, _s) in enumerate(people(rng, 30))]
    save_rows("t17_duplicate_columns.csv", rows)
    add("duplicate-columns", "t17_duplicate_columns.csv",
        "two columns called Age: refused naming the column", ["--k", "3"], exit=2,
        stderr_contains=["duplicate", "Age"])

    # t18: report title lines above the header.
    rng = random.Random(118)
    ids = [str(70000 + i) for i in range(40)]
    head = "Customer report - Store 12\nExported 2024-03-01 by admin\n\n"
    rows = [["CustomerID", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_text("t18_title_rows.csv", head + text_table(rows))
    add("csv-title-rows-header-row", "t18_title_rows.csv",
        "two title lines and a blank line above the header, --header-row 4",
        ["--header-row", "4", "--k", "3"], ids=ids, n_customers=40, input_rows=40,
        features=["Age", "Income", "Score"])

    # t19: CRLF and quoted cells with newlines and commas.
    rng = random.Random(119)
    ids = [str(100 + i) for i in range(40)]
    rows = [["CustomerID", "Name", "Address", "Age", "Income"]]
    for n, (i, (a, inc, _s)) in enumerate(zip(ids, people(rng, 40), strict=True)):
        rows.append([i, f"Smith, J{n}", f"{n} High St\r\nFlat {n % 5}, \"Rear\"", a, inc])
    save_rows("t19_crlf_quoted_newlines.csv", rows, newline="\r\n", quoting=csv.QUOTE_ALL)
    add("crlf-quoted-newlines", "t19_crlf_quoted_newlines.csv",
        "CRLF, every cell quoted, addresses with line breaks, commas and quotes",
        ["--features", "Age,Income", "--k", "3"], ids=ids, n_customers=40,
        features=["Age", "Income"])

    # t20: phone numbers as ids.
    rng = random.Random(120)
    ids = [f"+44 7700 9{i:05d}" for i in range(0, 40 * 37, 37)]
    rows = [["Phone", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t20_ids_phone_numbers.csv", rows)
    add("ids-phone-numbers", "t20_ids_phone_numbers.csv",
        "ids are phone numbers '+44 7700 900001': back unchanged, no apostrophe",
        ["--id-col", "Phone", "--k", "3"], ids=ids, n_customers=40)

    # t21: ids a spreadsheet would run as formulas.
    rng = random.Random(121)
    risky = ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "-abc", "+x1", "=1+2", "@home"]
    ids = [risky[i] if i < len(risky) else f"U{i:03d}" for i in range(36)]
    rows = [["user_id", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 36), strict=True)]
    save_rows("t21_ids_formula_like.csv", rows)
    add("ids-formula-like", "t21_ids_formula_like.csv",
        "ids starting with = @ -letter +letter get a leading apostrophe, others unchanged",
        ["--id-col", "user_id", "--k", "3"], ids=ids, n_customers=36)

    # t22: prefixes and inner spaces.
    rng = random.Random(122)
    ids = [[f"AB {i:04d}", f"C-{i:05d}", f"x {i} {i % 7}", f"000{i} 12"][i % 4]
           for i in range(40)]
    rows = [["account", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t22_ids_prefix_spaces.csv", rows)
    add("ids-prefix-spaces", "t22_ids_prefix_spaces.csv",
        "ids like 'AB 0012', 'C-00012', 'x 1 2' and '0003 12' come back unchanged",
        ["--id-col", "account", "--k", "3"], ids=ids, n_customers=40)

    # t23: 19-digit loyalty card numbers, some beyond the 64-bit range.
    rng = random.Random(123)
    ids = [str(9_223_372_036_854_775_000 + 97 * i) for i in range(20)]
    ids += [f"{rng.randrange(10**18, 10**19)}" for _ in range(20)]
    rows = [["CardNumber", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t23_ids_19_digits.csv", rows)
    add("ids-19-digits", "t23_ids_19_digits.csv",
        "19-digit card numbers, half above 2**63: every digit kept",
        ["--id-col", "CardNumber", "--k", "3"], ids=ids, n_customers=40)

    # t24: an absurdly large value.
    rng = random.Random(124)
    ids = [str(i) for i in range(1, 31)]
    rows = [["CustomerID", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 30), strict=True)]
    rows[5][2] = "1e300"
    save_rows("t24_huge_value.csv", rows)
    add("huge-value", "t24_huge_value.csv", "Income 1e300 on one line: exit 0 or 2, never 1",
        ["--k", "3"], exit=[0, 2], ids=ids)

    # t25: a column that is empty everywhere.
    rng = random.Random(125)
    ids = [str(i) for i in range(1, 41)]
    rows = [["CustomerID", "Age", "Income", "Score", "Fax"]]
    rows += [[i, a, inc, s, MISSING_TOKENS[n % 3]]
             for n, (i, (a, inc, s)) in enumerate(zip(ids, people(rng, 40), strict=True))]
    save_rows("t25_all_missing_column.csv", rows)
    add("all-missing-column", "t25_all_missing_column.csv",
        "a Fax column with no values: left out (exit 0) or refused (exit 2)",
        ["--k", "3"], exit=[0, 2], ids=ids, features_exclude=["Fax"])

    # t26: one customer.
    save_rows("t26_single_customer.csv", [["CustomerID", "Age", "Income"], ["0001", 34, 55.5]])
    add("single-customer", "t26_single_customer.csv", "a table with one customer: exit 2",
        exit=2)

    # t27: fewer distinct rows than k.
    rows = [["CustomerID", "Age", "Income"]]
    rows += [[f"{i:03d}", [20, 40, 60][i % 3], [30.0, 60.0, 90.0][i % 3]] for i in range(9)]
    save_rows("t27_k_above_distinct.csv", rows)
    add("k-above-distinct", "t27_k_above_distinct.csv",
        "9 customers but 3 distinct rows with --k 4: exit 2 saying so",
        ["--k", "4"], exit=2, stderr_contains="distinct")

    # t28: every line ends with the delimiter (an empty unnamed last column).
    rng = random.Random(128)
    ids = [f"{i:05d}" for i in range(40)]
    rows = [["Kunde", "Alter", "Umsatz", ""]]
    rows += [[i, a, comma_decimal(inc, 1), ""]
             for i, (a, inc, _s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t28_trailing_delimiter.csv", rows, delimiter=";")
    add("trailing-delimiter", "t28_trailing_delimiter.csv",
        "every line ends with ';' (an empty, unnamed last column)",
        ["--id-col", "Kunde", "--k", "3"], exit=[0, 2], ids=ids,
        features=["Alter", "Umsatz"])

    # t29: delimiter and decimal given explicitly; thousands with dots.
    rng = random.Random(129)
    ids = [f"{i:06d}" for i in range(100, 140)]
    rows = [["klant", "leeftijd", "omzet", "bezoeken"]]
    rows += [[i, a, comma_decimal(inc * 60, 2, "."), s // 6]
             for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_rows("t29_options_semicolon.csv", rows, delimiter=";")
    add("delimiter-decimal-options", "t29_options_semicolon.csv",
        "Dutch export 1.234,50 with --delimiter ';' --decimal ','",
        ["--delimiter", ";", "--decimal", ",", "--id-col", "klant", "--k", "3"], ids=ids,
        n_customers=40, features=["leeftijd", "omzet", "bezoeken"],
        means=means(rows, ["omzet"], ","), dialect={"delimiter": ";", "decimal": ","})
    add("bad-delimiter-option", "t29_options_semicolon.csv",
        "--delimiter x is not a delimiter: exit 2 naming --delimiter",
        ["--delimiter", "x", "--k", "3"], exit=2, stderr_contains="delimiter")

    # t30 / t31 / t32: Excel.
    rng = random.Random(130)
    ids = [f"{i:05d}" for i in range(7, 7 + 40)]
    rows: list[list[Any]] = [["Customer list - Spring campaign"], ["Exported 01/03/2024"], []]
    rows.append(["CustomerID", "Age", "Income", "Score"])
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_workbook("t30_excel_title_rows.xlsx", [("Customers", rows)])
    add("excel-title-rows-detected", "t30_excel_title_rows.xlsx",
        "Excel sheet with a title, a date line and a blank row above the header (detected)",
        ["--k", "3"], ids=ids, n_customers=40, input_rows=40,
        features=["Age", "Income", "Score"])

    rng = random.Random(131)
    ids = [f"{i:05d}" for i in range(300, 340)]
    rows = [["Store", "North", "Period", "Q1 2024"], ["Source", "CRM", "Rows", 40]]
    rows.append(["CustomerID", "Age", "Income", "Score"])
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_workbook("t31_excel_header_row.xlsx", [("Export", rows)])
    add("excel-header-row-option", "t31_excel_header_row.xlsx",
        "Excel with two busy key/value rows above the header, --header-row 3",
        ["--header-row", "3", "--k", "3"], ids=ids, n_customers=40, input_rows=40,
        features=["Age", "Income", "Score"])

    rng = random.Random(132)
    ids = [f"{i:05d}" for i in range(500, 540)]
    notes = [["Read me"], ["This workbook holds the customer table on the next sheet."]]
    rows = [["CustomerID", "Age", "Income", "Score"]]
    rows += [[i, a, inc, s] for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_workbook("t32_excel_two_sheets.xlsx", [("Notes", notes), ("Customers", rows)])
    add("excel-sheet-option", "t32_excel_two_sheets.xlsx",
        "workbook whose first sheet is notes; --sheet Customers picks the table",
        ["--sheet", "Customers", "--k", "3"], ids=ids, n_customers=40,
        features=["Age", "Income", "Score"])
    add("excel-sheet-missing", "t32_excel_two_sheets.xlsx",
        "--sheet Kunden names no sheet: exit 2 naming the sheet",
        ["--sheet", "Kunden", "--k", "3"], exit=2, stderr_contains="sheet")

    # t33 / t34: nested JSON lines.
    rng = random.Random(133)
    ids = [f"{i:03d}" for i in range(1, 41)]
    records = [{"customer": {"id": i, "name": f"Person {n}"},
                "stats": {"income": inc, "score": s, "age": a}, "tags": ["x", "y"]}
               for n, (i, (a, inc, s)) in enumerate(zip(ids, people(rng, 40), strict=True))]
    save_jsonl("t33_nested.jsonl", records)
    add("jsonl-nested-dotted-options", "t33_nested.jsonl",
        "nested JSON lines; --id-col customer.id --features stats.income,stats.score",
        ["--id-col", "customer.id", "--features", "stats.income,stats.score", "--k", "3"],
        ids=ids, id_column="customer.id", n_customers=40,
        features=["stats.income", "stats.score"])

    rng = random.Random(134)
    ids = [f"00{i}" for i in range(100, 140)]
    records = [{"customer": {"id": i}, "stats": {"income": inc, "score": s}, "age": a}
               for i, (a, inc, s) in zip(ids, people(rng, 40), strict=True)]
    save_jsonl("t34_nested_auto.jsonl", records)
    add("jsonl-nested-detected", "t34_nested_auto.jsonl",
        "nested JSON lines without options: dotted columns, id detected, zeros kept",
        ["--k", "3"], ids=ids, id_column="customer.id", n_customers=40,
        features_include=["stats.income", "stats.score"])

    # t35: a Shopify-style customer export.
    rng = random.Random(135)
    ids = [str(7_063_312_340_000 + 1_337 * i) for i in range(40)]
    rows = [["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
             "Default Address City", "Phone", "Total Spent", "Total Orders", "Tags", "Note",
             "Tax Exempt"]]
    for n, (i, (_a, inc, s)) in enumerate(zip(ids, people(rng, 40), strict=True)):
        rows.append([i, f"Ann{n}", f"Lee{n}", f"ann{n}@example.com", ["yes", "no"][n % 2],
                     ["Leeds", "York", ""][n % 3], f"+4411{n:07d}" if n % 4 else "",
                     f"{inc * 12:.2f}", s // 9, "vip, newsletter" if n % 5 == 0 else "", "",
                     "no"])
    save_rows("t35_shopify_like.csv", rows, quoting=csv.QUOTE_ALL)
    add("shopify-like-export", "t35_shopify_like.csv",
        "Shopify-style export: 13-digit ids, names, emails, phones, tags, empty notes",
        ["--features", "Total Spent,Total Orders", "--k", "3"], ids=ids,
        id_column="Customer ID", n_customers=40, features=["Total Spent", "Total Orders"])

    # t36: ~2,000 customers with 1-5 scores around four centres (many duplicates).
    rng = random.Random(136)
    centres = [(1, 1, 5), (5, 5, 1), (1, 5, 3), (5, 1, 3)]
    rows = [["respondent", "price_sensitivity", "brand_loyalty", "online_share"]]
    for n in range(2000):
        centre = centres[n % 4]
        rows.append([f"R{n:05d}"] + [min(5, max(1, c + rng.choice([-1, 0, 0, 0, 1])))
                                     for c in centre])
    save_rows("t36_duplicate_heavy_scores.csv", rows)
    features = ["price_sensitivity", "brand_loyalty", "online_share"]
    add("duplicate-heavy-auto-k", "t36_duplicate_heavy_scores.csv",
        "2,000 customers, three 1-5 scores (125 distinct rows): --k auto picks the k of a "
        "full-data scikit-learn silhouette sweep",
        ["--features", ",".join(features), "--k", "auto", "--k-min", "2", "--k-max", "8"],
        n_customers=2000, features=features,
        sklearn_k={"features": features, "k_min": 2, "k_max": 8})


# --- purchase histories ------------------------------------------------------------------------

def purchases(rng: random.Random, ids: list[str], start: dt.datetime, days: int,
              per_customer: tuple[int, int] = (2, 6)) -> list[dict[str, Any]]:
    """Purchase lines: customer, moment, order number, product, quantity, price."""
    lines = []
    order = 536365
    for n, cid in enumerate(ids):
        for _ in range(rng.randint(*per_customer)):
            when = start + dt.timedelta(days=rng.randrange(days),
                                        minutes=rng.randrange(8 * 60, 18 * 60))
            order += 1
            for _ in range(rng.randint(1, 3)):
                lines.append({"customer": cid, "when": when, "order": str(order),
                              "product": PRODUCTS[rng.randrange(len(PRODUCTS))],
                              "qty": rng.randint(1, 12) * (1 + n % 3),
                              "price": rng.choice([0.85, 1.25, 2.55, 4.95, 12.75])})
    lines.sort(key=lambda line: (line["when"], line["order"]))
    return lines


def days_of(lines: list[dict[str, Any]]) -> tuple[str, str]:
    days = [line["when"].date() for line in lines]
    return min(days).isoformat(), max(days).isoformat()


def histories() -> None:
    history = ["--transactions", "--k", "3"]

    # h01: Online Retail layout, month-first dates with 4- and 2-digit years.
    rng = random.Random(201)
    ids = [str(12346 + 17 * i) for i in range(24)]
    lines = purchases(rng, ids, dt.datetime(2010, 12, 1), 373)  # to 2011-12-08
    rows = [["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
             "CustomerID", "Country"]]
    guests = 0
    for n, line in enumerate(lines):
        when = line["when"]
        if when.year == 2010:
            stamp = f"{when.month}/{when.day:02d}/{when.year} {when.hour}:{when.minute:02d}"
        else:
            stamp = f"{when.month}/{when.day}/{when.year % 100:02d} {when.hour}:{when.minute:02d}"
        customer = line["customer"]
        if n % 11 == 4:
            customer = ""
            guests += 1
        rows.append([line["order"], 84000 + PRODUCTS.index(line["product"]), line["product"],
                     line["qty"], stamp, line["price"], customer, "United Kingdom"])
    # a return: a C-order with a negative quantity
    rows.append(["C" + lines[5]["order"], 84001, PRODUCTS[1], -2,
                 rows[6][4], 12.75, lines[5]["customer"], "United Kingdom"])
    first, last = days_of(lines)
    save_rows("h01_online_retail_mixed_years.csv", rows)
    attributed = {line["customer"] for n, line in enumerate(lines) if n % 11 != 4}
    add("history-online-retail-month-first", "h01_online_retail_mixed_years.csv",
        "Online Retail layout; dates mix 12/06/2010 10:08 and 2/20/11 11:39 (month first); "
        "guest lines without a customer", history, ids=sorted(attributed),
        n_customers=len(attributed), first_day=first, last_day=last,
        features=DEFAULT_MONEY_FEATURES, quality={"lines_without_customer": guests})

    # h02: groceries-style, day-first.
    rng = random.Random(202)
    ids = [str(1000 + 3 * i) for i in range(30)]
    lines = purchases(rng, ids, dt.datetime(2014, 1, 1), 700)
    rows = [["Member_number", "Date", "itemDescription"]]
    rows += [[line["customer"], line["when"].strftime("%d/%m/%Y"),
              GROCERIES[PRODUCTS.index(line["product"])]] for line in lines]
    first, last = days_of(lines)
    save_rows("h02_day_first.csv", rows)
    add("history-day-first", "h02_day_first.csv",
        "groceries layout, dd/mm/yyyy with days above 12: read day-first, no money columns",
        history, ids=ids, n_customers=30, first_day=first, last_day=last,
        features=DEFAULT_NO_MONEY_FEATURES)

    # h03: every date ambiguous.
    rng = random.Random(203)
    ids = [f"{i:04d}" for i in range(1, 26)]
    rows = [["customer_id", "order_date", "amount"]]
    for cid in ids:
        for _ in range(rng.randint(2, 5)):
            rows.append([cid, f"{rng.randint(1, 12):02d}/{rng.randint(1, 12):02d}/2021",
                         f"{rng.uniform(3, 90):.2f}"])
    save_rows("h03_ambiguous_dates.csv", rows)
    add("history-ambiguous-dates", "h03_ambiguous_dates.csv",
        "every date could be day- or month-first (03/04/2021): a warning naming --date-format",
        history, ids=ids, n_customers=25, warnings_contain="--date-format")

    # h04: Excel serial day numbers.
    rng = random.Random(204)
    ids = [f"S{i:03d}" for i in range(30)]
    lines = purchases(rng, ids, dt.datetime(2010, 12, 1), 300)
    excel_epoch = dt.datetime(1899, 12, 30)
    rows = [["customer_id", "order_date", "amount"]]
    for n, line in enumerate(lines):
        serial = (line["when"] - excel_epoch).total_seconds() / 86400
        rows.append([line["customer"], f"{serial:.5f}" if n % 2 else int(serial),
                     round(line["qty"] * line["price"], 2)])
    first, last = days_of(lines)
    save_rows("h04_excel_serial_dates.csv", rows)
    add("history-excel-serial-dates", "h04_excel_serial_dates.csv",
        "dates as Excel serial numbers (40513, 40513.35417)", history, ids=ids,
        n_customers=30, first_day=first, last_day=last, features=DEFAULT_MONEY_FEATURES)

    # h05: ISO 8601 with zones.
    rng = random.Random(205)
    ids = [f"u_{i}" for i in range(30)]
    lines = purchases(rng, ids, dt.datetime(2010, 12, 1), 365)
    rows = [["user_id", "created_at", "order_id", "total"]]
    for line in lines:
        when = line["when"]
        zone = ["Z", "+01:00", "-05:00", "+00:00"][int(line["order"]) % 4]
        rows.append([line["customer"], when.strftime("%Y-%m-%dT%H:%M:%S") + zone,
                     line["order"], round(line["qty"] * line["price"], 2)])
    first, last = days_of(lines)
    save_rows("h05_iso_zones.csv", rows)
    add("history-iso-zones", "h05_iso_zones.csv",
        "ISO 8601 timestamps with Z, +01:00 and -05:00 (all between 08:00 and 18:00)",
        history + ["--customer-col", "user_id", "--date-col", "created_at", "--amount-col",
                   "total"], ids=ids, n_customers=30, first_day=first, last_day=last,
        features=DEFAULT_MONEY_FEATURES)

    # h06: dates before 1970 and far in the future.
    rng = random.Random(206)
    ids = [f"{i:05d}" for i in range(1, 31)]
    lines = purchases(rng, ids, dt.datetime(2019, 3, 1), 500)
    rows = [["customer_id", "order_date", "amount"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d"),
              round(line["qty"] * line["price"], 2)] for line in lines]
    first, last = days_of(lines)
    odd = ["1900-01-01", "1969-07-20", "2099-12-31", "2207-05-01"]
    for n, day in enumerate(odd):
        rows.insert(5 + 9 * n, [ids[n], day, "10.00"])
    save_rows("h06_old_and_future_dates.csv", rows)
    add("history-old-and-future-dates", "h06_old_and_future_dates.csv",
        "four lines dated 1900, 1969, 2099, 2207: counted and left out, not a crash",
        history, ids=ids, n_customers=30, first_day=first, last_day=last)

    # h07: unparseable dates.
    rng = random.Random(207)
    ids = [f"{i:03d}" for i in range(1, 21)]
    lines = purchases(rng, ids, dt.datetime(2020, 1, 1), 300)
    rows = [["customer_id", "order_date", "amount"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d"),
              round(line["qty"] * line["price"], 2)] for line in lines]
    rows[22][1] = "soon"          # file line 23
    rows[40][1] = "2020-13-45"    # file line 41
    save_rows("h07_bad_dates.csv", rows)
    add("history-bad-dates", "h07_bad_dates.csv",
        "'soon' at line 23 and '2020-13-45' at line 41: exit 2 naming the lines", history,
        exit=2, stderr_contains=["23", "41"])

    # h08: every missing token as a customer id.
    rng = random.Random(208)
    ids = [f"{i:05d}" for i in range(10, 40)]
    lines = purchases(rng, ids, dt.datetime(2021, 5, 1), 200)
    rows = [["CustomerID", "InvoiceDate", "Quantity", "UnitPrice", "InvoiceNo"]]
    guests = 0
    for n, line in enumerate(lines):
        customer = line["customer"]
        if n % 5 == 2:
            customer = MISSING_TOKENS[guests % len(MISSING_TOKENS)]
            guests += 1
        rows.append([customer, line["when"].strftime("%Y-%m-%d %H:%M"), line["qty"],
                     line["price"], line["order"]])
    save_rows("h08_missing_customer_tokens.csv", rows)
    attributed = sorted({line["customer"] for n, line in enumerate(lines) if n % 5 != 2})
    add("history-missing-customer-tokens", "h08_missing_customer_tokens.csv",
        "customer cells NA, N/A, null, NULL, None, nan, -, #N/A, empty: not customers",
        history, ids=attributed, n_customers=len(attributed),
        quality={"lines_without_customer": guests})

    # h09: 0012346 and 12346 are different customers.
    rng = random.Random(209)
    plain = [str(12346 + i) for i in range(12)]
    ids = plain + ["00" + p for p in plain]
    lines = purchases(rng, ids, dt.datetime(2011, 1, 3), 300)
    rows = [["CustomerID", "InvoiceDate", "InvoiceNo", "Quantity", "UnitPrice"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d %H:%M:%S"), line["order"],
              line["qty"], line["price"]] for line in lines]
    save_rows("h09_zero_padded_vs_plain.csv", rows)
    add("history-zero-padded-vs-plain", "h09_zero_padded_vs_plain.csv",
        "ids 0012346 and 12346 in one history: two customers", history, ids=ids,
        n_customers=24)

    # h10: history in Excel with text ids.
    rng = random.Random(210)
    ids = [f"{i:06d}" for i in range(40, 70)]
    lines = purchases(rng, ids, dt.datetime(2022, 2, 1), 250)
    rows = [["Customer No", "Order Date", "Order ID", "Product", "Qty", "Price"]]
    rows += [[line["customer"], line["when"], line["order"], line["product"], line["qty"],
              line["price"]] for line in lines]
    first, last = days_of(lines)
    save_workbook("h10_history.xlsx", [("Orders", rows)])
    add("history-xlsx-text-ids", "h10_history.xlsx",
        "history in Excel: text ids 000040, real Excel dates", history, ids=ids,
        n_customers=30, first_day=first, last_day=last)

    # h11: Parquet with a string id column.
    rng = random.Random(211)
    ids = [f"{i:07d}" for i in range(100, 130)]
    lines = purchases(rng, ids, dt.datetime(2023, 1, 1), 200)
    import pyarrow as pa

    first, last = days_of(lines)
    save_parquet("h11_history.parquet",
                 {"customer_id": [line["customer"] for line in lines],
                  "order_date": [line["when"] for line in lines],
                  "order_id": [line["order"] for line in lines],
                  "quantity": [line["qty"] for line in lines],
                  "price": [line["price"] for line in lines]},
                 {"customer_id": pa.string(), "order_date": pa.timestamp("us"),
                  "order_id": pa.string(), "quantity": pa.int64(), "price": pa.float64()})
    add("history-parquet-string-ids", "h11_history.parquet",
        "Parquet with a string customer_id column (0000100)", history, ids=ids,
        n_customers=30, first_day=first, last_day=last, features=DEFAULT_MONEY_FEATURES)

    # h12: nested JSON lines.
    rng = random.Random(212)
    ids = [f"00{i}" for i in range(42, 72)]
    lines = purchases(rng, ids, dt.datetime(2022, 6, 1), 150)
    records = [{"order": {"id": line["order"], "date": line["when"].strftime("%Y-%m-%d")},
                "customer": {"id": line["customer"], "tier": "gold"},
                "line": {"qty": line["qty"], "price": line["price"],
                         "sku": PRODUCTS.index(line["product"])}} for line in lines]
    first, last = days_of(lines)
    save_jsonl("h12_history_nested.jsonl", records)
    add("history-jsonl-nested", "h12_history_nested.jsonl",
        "nested JSON lines history with dotted column options and ids 0042",
        history + ["--customer-col", "customer.id", "--date-col", "order.date",
                   "--quantity-col", "line.qty", "--price-col", "line.price",
                   "--order-col", "order.id"], ids=ids, n_customers=30, first_day=first,
        last_day=last, features=DEFAULT_MONEY_FEATURES)

    # h13: German history: ';', dd.mm.yyyy, decimal comma and thousands dots.
    rng = random.Random(213)
    ids = [f"{i:05d}" for i in range(200, 230)]
    lines = purchases(rng, ids, dt.datetime(2021, 1, 4), 330)
    rows = [["Kundennr", "Datum", "Bestellnr", "Betrag"]]
    rows += [[line["customer"], line["when"].strftime("%d.%m.%Y"), line["order"],
              comma_decimal(line["qty"] * line["price"] * 40, 2, ".")] for line in lines]
    first, last = days_of(lines)
    save_rows("h13_semicolon_decimal_comma.csv", rows, delimiter=";", newline="\r\n")
    add("history-semicolon-decimal-comma", "h13_semicolon_decimal_comma.csv",
        "German history: ';', 31.12.2021 dates, amounts 1.234,50",
        history + ["--customer-col", "Kundennr", "--date-col", "Datum", "--amount-col",
                   "Betrag", "--order-col", "Bestellnr"], ids=ids, n_customers=30,
        first_day=first, last_day=last, features=DEFAULT_MONEY_FEATURES,
        means={"monetary": round(sum(number(r[3], ",") for r in rows[1:]) / 30, 6)},
        dialect={"delimiter": ";", "decimal": ","})

    # h14: money with symbols.
    rng = random.Random(214)
    ids = [f"C{i:04d}" for i in range(30)]
    lines = purchases(rng, ids, dt.datetime(2020, 9, 1), 200)
    rows = [["customer_id", "order_date", "order_id", "amount"]]
    for n, line in enumerate(lines):
        value = line["qty"] * line["price"] * (30 if n % 4 == 0 else 1)
        rows.append([line["customer"], line["when"].strftime("%Y-%m-%d"), line["order"],
                     [f"£{value:.2f}", f"${value:,.2f}", f"{value:,.2f}", f"{value:.2f}"][n % 4]])
    first, last = days_of(lines)
    save_rows("h14_money_symbols.csv", rows)
    add("history-money-symbols", "h14_money_symbols.csv",
        "amounts written £2.55, $1,234.00 and \"1,234.50\": money features kept", history,
        ids=ids, n_customers=30, first_day=first, last_day=last,
        features=DEFAULT_MONEY_FEATURES,
        means={"monetary": round(sum(number(r[3]) for r in rows[1:]) / 30, 6)})

    # h15: UTF-16 LE tab history.
    rng = random.Random(215)
    ids = [f"{i:04d}" for i in range(1, 31)]
    lines = purchases(rng, ids, dt.datetime(2019, 11, 1), 250)
    rows = [["CustomerID", "InvoiceDate", "InvoiceNo", "Description", "Quantity", "UnitPrice"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d %H:%M"), line["order"],
              line["product"].title() + " – édition", line["qty"], line["price"]]
             for line in lines]
    first, last = days_of(lines)
    save_rows("h15_utf16_tab.csv", rows, delimiter="\t", newline="\r\n", encoding="utf-16-le",
              bom=True)
    add("history-utf16-tab", "h15_utf16_tab.csv",
        "history saved as Excel 'Unicode text' (UTF-16 LE, BOM, tabs) named .csv", history,
        ids=ids, n_customers=30, first_day=first, last_day=last, encoding_like="utf-16",
        dialect={"delimiter": "\t"})

    # h16: cp1252 history without --encoding.
    rng = random.Random(216)
    ids = [f"{i:04d}" for i in range(1, 31)]
    lines = purchases(rng, ids, dt.datetime(2018, 4, 1), 200)
    rows = [["CustomerID", "InvoiceDate", "Description", "Quantity", "UnitPrice"]]
    rows += [[line["customer"], line["when"].strftime("%d/%m/%Y"),
              ["Crème brûlée", "€5 voucher", "Café crème", "Smörgåsbord"][n % 4],
              line["qty"], line["price"]] for n, line in enumerate(lines)]
    save_rows("h16_cp1252_descriptions.csv", rows, encoding="cp1252")
    add("history-cp1252-without-encoding", "h16_cp1252_descriptions.csv",
        "cp1252 product names (é, €) without --encoding: read, or refused naming --encoding",
        history, exit=[0, 2], stderr_contains="--encoding", ids=ids, n_customers=30)

    # h17: a format only --date-format can read.
    rng = random.Random(217)
    ids = [f"{i:03d}" for i in range(1, 31)]
    lines = purchases(rng, ids, dt.datetime(2010, 12, 1), 300)
    rows = [["customer_id", "order_date", "amount"]]
    rows += [[line["customer"], line["when"].strftime("%b %d, %Y"),
              round(line["qty"] * line["price"], 2)] for line in lines]
    first, last = days_of(lines)
    save_rows("h17_date_format_option.csv", rows)
    add("history-date-format-option", "h17_date_format_option.csv",
        "dates 'Dec 01, 2010' read with --date-format '%b %d, %Y'",
        history + ["--date-format", "%b %d, %Y"], ids=ids, n_customers=30, first_day=first,
        last_day=last)

    # h18: a word in the amount column.
    rng = random.Random(218)
    ids = [f"{i:03d}" for i in range(1, 21)]
    lines = purchases(rng, ids, dt.datetime(2020, 1, 1), 300)
    rows = [["customer_id", "order_date", "amount"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d"),
              round(line["qty"] * line["price"], 2)] for line in lines]
    rows[28][2] = "twelve"  # file line 29
    save_rows("h18_bad_amount.csv", rows)
    add("history-bad-amount", "h18_bad_amount.csv",
        "'twelve' in the amount column at line 29: exit 2 naming the column and line",
        history, exit=2, stderr_contains=["amount", "29"])

    # h19: missing dates.
    rng = random.Random(219)
    ids = [f"{i:04d}" for i in range(1, 31)]
    lines = purchases(rng, ids, dt.datetime(2017, 2, 1), 300, per_customer=(3, 6))
    rows = [["customer_id", "order_date", "order_id", "amount"]]
    undated = 0
    for n, line in enumerate(lines):
        day = line["when"].strftime("%Y-%m-%d")
        if n % 8 == 3:
            day = MISSING_TOKENS[undated % len(MISSING_TOKENS)]
            undated += 1
        rows.append([line["customer"], day, line["order"], round(line["qty"] * line["price"], 2)])
    dated = [line for n, line in enumerate(lines) if n % 8 != 3]
    first, last = days_of(dated)
    save_rows("h19_missing_dates.csv", rows)
    add("history-missing-dates", "h19_missing_dates.csv",
        "date cells NA, N/A, null, -, empty...: counted as lines without a date", history,
        ids=sorted({line["customer"] for line in dated}), first_day=first, last_day=last,
        quality={"lines_without_date": undated})

    # h20: 19-digit loyalty numbers.
    rng = random.Random(220)
    ids = [str(9_300_000_000_000_000_000 + 1_000_003 * i) for i in range(15)]
    ids += [str(1_000_000_000_000_000_000 + 7 * i) for i in range(15)]
    lines = purchases(rng, ids, dt.datetime(2022, 1, 1), 365)
    rows = [["LoyaltyCard", "Date", "Sales"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d"),
              round(line["qty"] * line["price"], 2)] for line in lines]
    save_rows("h20_ids_19_digits.csv", rows)
    add("history-ids-19-digits", "h20_ids_19_digits.csv",
        "19-digit loyalty card numbers, half above 2**63", history + ["--customer-col",
                                                                      "LoyaltyCard"],
        ids=ids, n_customers=30)

    # h21: pipe-delimited with phone-number ids and padded cells.
    rng = random.Random(221)
    ids = [f"+44 7700 9{i:05d}" for i in range(0, 30 * 11, 11)]
    lines = purchases(rng, ids, dt.datetime(2023, 3, 1), 180)
    text = ["phone | order_date | order_id | qty | unit_price"]
    text += [f"{line['customer']} | {line['when']:%Y-%m-%d} | {line['order']} | {line['qty']} | "
             f"{line['price']}" for line in lines]
    first, last = days_of(lines)
    save_text("h21_pipe_phone_ids.csv", "\r\n".join(text) + "\r\n")
    add("history-pipe-phone-ids", "h21_pipe_phone_ids.csv",
        "'|'-delimited history, padded cells, ids '+44 7700 900011'",
        history + ["--customer-col", "phone", "--quantity-col", "qty", "--price-col",
                   "unit_price"], ids=ids, n_customers=30, first_day=first, last_day=last,
        dialect={"delimiter": "|"})

    # h22: the same header twice in a history.
    rng = random.Random(222)
    ids = [f"{i:03d}" for i in range(1, 21)]
    lines = purchases(rng, ids, dt.datetime(2020, 1, 1), 300)
    rows = [["customer_id", "order_date", "amount", "amount"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d"),
              round(line["qty"] * line["price"], 2), line["qty"]] for line in lines]
    save_rows("h22_duplicate_columns.csv", rows)
    add("history-duplicate-columns", "h22_duplicate_columns.csv",
        "two columns called amount in a history: exit 2 naming the column", history, exit=2,
        stderr_contains=["duplicate", "amount"])


def output_folders() -> None:
    # o01: a tidy history with products (so the history run writes affinity.csv and friends).
    rng = random.Random(301)
    ids = [str(4000 + i) for i in range(30)]
    lines = purchases(rng, ids, dt.datetime(2021, 1, 1), 300)
    rows = [["customer_id", "order_date", "order_id", "product", "quantity", "price"]]
    rows += [[line["customer"], line["when"].strftime("%Y-%m-%d"), line["order"],
              line["product"], line["qty"], line["price"]] for line in lines]
    save_rows("o01_tidy_history.csv", rows)
    add("out-history-then-table", "t01_comma_leading_zero_ids.csv",
        "a history run (o01_tidy_history.csv) then a table run into one --out: only the table "
        "run's files remain", ["--k", "3"],
        before=[{"file": "o01_tidy_history.csv", "args": ["--transactions", "--k", "3"],
                 "exit": 0, "leaves": ["features.csv", "affinity.csv", "segments.csv"]}],
        ids=zero_ids(60), n_customers=60,
        out_absent=["features.csv", "affinity.csv", "product_share.csv", "monthly_sales.csv"],
        out_present=["segments.csv", "summary.json", "model.json", "report.html"])
    add("out-is-a-file", "t01_comma_leading_zero_ids.csv",
        "--out names an existing file: exit 2", ["--k", "3"], exit=2, out="file")
    add("out-under-a-file", "t01_comma_leading_zero_ids.csv",
        "--out is a folder under an existing file: exit 2", ["--k", "3"], exit=2,
        out="under_file")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != "cases.json" and old.is_file():
            old.unlink()
    CASES.clear()
    # Byte-exact on every checkout: no line-ending conversion of CRLF, UTF-16 or cp1252 files.
    (OUT / ".gitattributes").write_text("* -text\n", encoding="utf-8")
    tables()
    histories()
    output_folders()
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    manifest = {"about": "Messy exports and what custseg must do with each; written by "
                         "tests/messy_corpus.py, run by tests/test_messy_corpus.py.",
                "cases": CASES}
    (OUT / "cases.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    files = sorted(p.name for p in OUT.iterdir() if p.suffix not in (".json", ""))
    print(f"wrote {len(files)} files and {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
