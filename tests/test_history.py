"""Purchase histories: features against independent pandas computations, quality counts, RFM."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import custseg
from custseg.datasets.synthetic_history import purchase_history
from custseg.features.transactions import customer_features
from custseg.rfm import RFM_MAP, RFM_NAMES, quintile_score, rfm_name, rfm_scores

# A copy of ../shared/data/groceries.csv, so that a clone anywhere can run the tests.
GROCERIES = Path(__file__).parent / "data" / "groceries.csv"


def test_groceries_features_equal_independent_pandas():
    found = customer_features(GROCERIES)
    assert found.columns.customer == "Member_number" and found.columns.date == "Date"
    assert found.columns.product == "itemDescription" and not found.money
    lines = pd.read_csv(GROCERIES)
    lines["day"] = pd.to_datetime(lines["Date"])
    as_of = lines["day"].max() + pd.Timedelta(days=1)
    per = lines.groupby("Member_number").agg(
        last=("day", "max"), first=("day", "min"), frequency=("day", "nunique"),
        distinct_products=("itemDescription", "nunique"), total_items=("day", "size"))
    expected = pd.DataFrame({
        "recency_days": (as_of - per["last"]).dt.days,
        "frequency": per["frequency"],
        "tenure_days": (as_of - per["first"]).dt.days,
        "mean_days_between_orders": np.where(
            per["frequency"] > 1,
            (per["last"] - per["first"]).dt.days / (per["frequency"] - 1).clip(lower=1),
            (as_of - per["first"]).dt.days),
        "distinct_products": per["distinct_products"],
        "total_items": per["total_items"].astype(float),
    })
    got = found.frame.set_index("Member_number")
    assert len(got) == 3898
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False,
                                  check_names=False)
    assert found.quality["exact_duplicate_lines"] == int(lines.duplicated(
        subset=["Member_number", "Date", "itemDescription"]).sum())


def test_groceries_end_to_end_states_missing_prices(cli, tmp_path):
    result = cli("segment", GROCERIES, "--transactions", "--out", tmp_path / "o", "--quiet")
    assert result.code == 0, result.err
    assert "no money column" in result.err
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == [".custseg-manifest.json", "affinity.csv", "features.csv", "model.json",
                     "monthly_sales.csv",
                     "product_share.csv", "report.html", "segments.csv", "summary.json"]
    summary = pd.read_json(tmp_path / "o" / "summary.json", typ="series")
    assert summary["transactions"]["money"] is False
    assert "no money column" in summary["transactions"]["notes"][0]
    report = (tmp_path / "o" / "report.html").read_text()
    assert "no money column (amount, or quantity and price)" in report
    assert 'id="rfm-cross"' in report
    segments = pd.read_csv(tmp_path / "o" / "segments.csv")
    assert {"rfm_r", "rfm_f", "rfm_m", "rfm_segment", "recency_days"} <= set(segments.columns)
    assert segments["rfm_m"].isna().all()


# A layout nobody here has seen: TSV, day-first dates, other names, every defect once or more.
UNSEEN = """client\twhen\treceipt\tsku\tunits\tunit_cost
A1\t03/01/2025\tR1\tX\t2\t10.00
A1\t03/01/2025\tR1\tY\t1\t5.50
A1\t03/01/2025\tR1\tY\t1\t5.50
A1\t20/02/2025\tR2\tX\t1\t10.00
A1\t25/02/2025\tR3\tX\t-1\t10.00
B2\t15/01/2025\tR4\tZ\t3\t0
B2\t15/03/2025\tR5\tZ\t1\t-2.00
\t16/03/2025\tR6\tX\t1\t10.00
C3\t01/04/2025\tR7\tY\t4\t2.25
C3\t30/06/2025\tR8\tY\t1\t2.25
"""


def _unseen(tmp_path: Path) -> Path:
    path = tmp_path / "history.tsv"
    path.write_text(UNSEEN)
    return path


def test_unseen_layout_with_flags_matches_hand_computation(tmp_path):
    found = customer_features(
        _unseen(tmp_path), {"customer": "client", "date": "when", "order": "receipt",
                            "product": "sku", "quantity": "units", "price": "unit_cost"},
        as_of="2025-04-30", date_format="%d/%m/%Y")
    got = found.frame.set_index("client")
    # A1: orders R1, R2 (R3 is a return: negative quantity); last purchase 20 Feb.
    assert got.loc["A1", "recency_days"] == (dt.date(2025, 4, 30) - dt.date(2025, 2, 20)).days
    assert got.loc["A1", "frequency"] == 2
    assert got.loc["A1", "monetary"] == pytest.approx(2 * 10 + 5.5 + 5.5 + 10 - 10)
    assert got.loc["A1", "avg_order_value"] == pytest.approx((20 + 11 + 10) / 2)
    assert got.loc["B2", "monetary"] == pytest.approx(0 - 2.0)   # a zero and a negative price
    assert got.loc["B2", "frequency"] == 2
    assert got.loc["C3", "frequency"] == 1                        # R8 is after the as-of date
    assert got.loc["C3", "mean_days_between_orders"] == got.loc["C3", "tenure_days"] == 29
    assert got.loc["A1", "return_share"] == pytest.approx(10 / 41)
    q = found.quality
    assert q["lines"] == 10 and q["lines_without_customer"] == 1
    assert q["return_lines"] == 1 and q["returned_amount"] == 10.0
    assert q["zero_or_negative_price_lines"] == 2
    assert q["exact_duplicate_lines"] == 1
    assert q["lines_after_as_of"] == 1
    assert q["lines_used"] == 8
    assert q["as_of"] == "2025-04-30"


def test_online_retail_names_are_detected_and_cancellations_netted(tmp_path):
    lines = pd.DataFrame({
        "InvoiceNo": ["536365", "536365", "C536379", "536380"],
        "StockCode": ["85123A", "71053", "85123A", "22633"],
        "Quantity": [6, 6, -2, 3], "InvoiceDate": ["12/1/2010 8:26", "12/1/2010 8:26",
                                                   "12/9/2010 9:41", "12/13/2010 10:00"],
        "UnitPrice": [2.55, 3.39, 2.55, 1.85], "CustomerID": [17850.0, 17850.0, 17850.0, None],
        "Country": ["United Kingdom"] * 4})
    lines.to_csv(tmp_path / "retail.csv", index=False)
    found = customer_features(tmp_path / "retail.csv")
    assert found.columns.order == "InvoiceNo" and found.columns.product == "StockCode"
    assert found.columns.price == "UnitPrice" and found.columns.customer == "CustomerID"
    # Ids are text, exactly as written: pandas wrote the float ids as "17850.0".
    row = found.frame.set_index("CustomerID").loc["17850.0"]
    assert row["monetary"] == pytest.approx(6 * 2.55 + 6 * 3.39 - 2 * 2.55)
    assert row["frequency"] == 1
    assert found.quality["return_lines"] == 1
    assert found.as_of == dt.date(2010, 12, 14)  # month-first: 12/13 cannot be day-first


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen")
    lines, truth = purchase_history(20_000, seed=0)
    custseg.io.write_table(folder / "history.csv", lines)
    return folder, lines, truth


def test_generate_then_segment_recovers_planted_groups(cli, tmp_path):
    assert cli("generate", "--customers", "20000", "--out", tmp_path / "h.csv").code == 0
    result = cli("segment", tmp_path / "h.csv", "--transactions", "--k", "5", "--out",
                 tmp_path / "o", "--quiet")
    assert result.code == 0, result.err
    segments = pd.read_csv(tmp_path / "o" / "segments.csv")
    truth = pd.read_csv(tmp_path / "h.truth.csv")
    merged = segments.merge(truth, on="CustomerID")
    assert len(merged) >= 0.99 * len(truth)  # guests and fully returned customers aside
    assert adjusted_rand_score(merged["group"], merged["segment"]) >= 0.8


def test_generate_is_deterministic():
    a, ta = purchase_history(500, seed=3)
    b, tb = purchase_history(500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta, tb)
    assert not a.equals(purchase_history(500, seed=4)[0])


def test_shuffling_rows_changes_nothing(generated, tmp_path):
    folder, lines, _ = generated
    custseg.io.write_table(tmp_path / "shuffled.csv", lines.sample(frac=1, random_state=9))
    base = custseg.segment(folder / "history.csv", transactions=True)
    other = custseg.segment(tmp_path / "shuffled.csv", transactions=True)
    pd.testing.assert_frame_equal(base.features_table, other.features_table)
    pd.testing.assert_frame_equal(base.assignments, other.assignments)


def test_rfm_map_covers_every_cell_exactly_once():
    names = set()
    for r in range(1, 6):
        for f in range(1, 6):
            hits = [name for rs, fs, name in RFM_MAP if r in rs and f in fs]
            assert len(hits) == 1, (r, f, hits)
            names.add(rfm_name(r, f))
    assert names == set(RFM_NAMES) and len(RFM_NAMES) == 11
    assert rfm_name(5, 5) == "Champions" and rfm_name(1, 1) == "Lost"
    assert rfm_name(1, 5) == "Can't Lose Them" and rfm_name(5, 1) == "New Customers"


def test_quintile_ties_do_not_depend_on_row_order():
    values = pd.Series([1, 1, 1, 1, 1, 1, 2, 2, 3, 5, 8, 13])
    scores = quintile_score(values)
    assert scores[values == 1].nunique() == 1
    shuffled = values.sample(frac=1, random_state=0)
    assert (quintile_score(shuffled).sort_index() == scores).all()
    recency = quintile_score(pd.Series([1, 5, 30, 90, 400]), higher_is_better=False)
    assert recency.tolist() == [5, 4, 3, 2, 1]
    frame = pd.DataFrame({"recency_days": [1, 400], "frequency": [9, 1], "monetary": [90, 1]})
    assert rfm_scores(frame)["rfm_segment"].tolist() == ["Champions", "Lost"]


def _bad(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


BAD_HISTORIES = [
    ("no-date", "customer_id,amount\n1,5\n2,6\n",
     r"no purchase date column found \(looked for names like invoicedate, orderdate.*"
     r"name it with --date-col"),
    ("bad-dates", "customer_id,order_date,amount\n1,2024-01-02,5\n2,yesterday,6\n3,soon,1\n",
     r"column 'order_date' has values that are not dates: 'yesterday' \(line 3\), 'soon' "
     r"\(line 4\); fix them, or give the format with --date-format"),
    ("text-amount", "customer_id,order_date,amount\n1,2024-01-02,5\n2,2024-01-03,five\n",
     r"column 'amount' should hold numbers but 1 line\(s\) do not: 'five' \(line 3\)"),
    ("no-customer-ids", "customer_id,order_date,amount\n,2024-01-02,5\n,2024-01-03,6\n",
     r"every one of the 2 lines lacks a customer id \(column 'customer_id' is empty\); name "
     r"the right column with --customer-col"),
]


@pytest.mark.parametrize(("text", "pattern"), [c[1:] for c in BAD_HISTORIES],
                         ids=[c[0] for c in BAD_HISTORIES])
def test_bad_histories(cli, tmp_path, text, pattern):
    result = cli("segment", _bad(tmp_path, text), "--transactions", "--out", tmp_path / "o")
    assert result.code == 2
    assert result.err.count("\n") == 1, result.err
    assert re.search(pattern, result.err), result.err
    assert not (tmp_path / "o").exists()


def test_history_flags_without_transactions_are_refused(cli):
    result = cli("segment", "--as-of", "2024-01-01")
    assert result.code == 2
    assert "--as-of: apply only to purchase histories; add --transactions" in result.err


def _lines_text(rows: int, extra_at: int | None = None, newline_every: int | None = None) -> str:
    out = ["customer,date,amount,product"]
    for i in range(rows):
        product = f'"prod\nuct {i % 13}"' if newline_every and i % newline_every == 7 else \
            f"P{i % 13}"
        out.append(f"{1000 + i % 37},2024-01-{1 + i % 28:02d},{i % 9 + 1}.50,{product}")
        if i == extra_at:
            out.append("1005,2024-01-03,7.50,P1,extra")
    return "\n".join(out) + "\n"


def test_a_text_file_is_checked_in_the_features_own_first_scan(tmp_path):
    """The file's own checks ride on the first scan of the features; they come first still."""
    from custseg.dialect import ReadOptions
    from custseg.errors import DataError

    comma = ReadOptions(delimiter=",")
    path = tmp_path / "extra.csv"
    path.write_text(_lines_text(3000, extra_at=1499))
    with pytest.raises(DataError, match=r"line 1502 has more fields than its header \(4\)"):
        customer_features(path, options=comma)
    # Said before what the columns lack, as when the file was scanned on its own first.
    path.write_text(_lines_text(3000, extra_at=1499).replace("customer,", "client,", 1))
    with pytest.raises(DataError, match=r"line 1502 has more fields than its header"):
        customer_features(path, options=comma)
    # Quoted line breaks: DuckDB's parallel reader refuses them, the file is read again.
    path.write_text(_lines_text(3000, newline_every=500))
    found = customer_features(path, options=comma)
    assert found.quality["lines"] == 3000 and len(found.frame) == 37


def test_features_are_the_same_whatever_memory_duckdb_is_given(generated, monkeypatch):
    """Spilling to disk, or running again with more memory when a statement cannot spill
    (``execute_bounded``), changes no figure."""
    from custseg.features import duck_session

    folder, _, _ = generated
    with customer_features(folder / "history.csv") as roomy:
        expected, quality = roomy.frame, roomy.quality
    monkeypatch.setattr(duck_session, "MEMORY_LIMIT_MB", 64)
    with customer_features(folder / "history.csv") as tight:
        pd.testing.assert_frame_equal(tight.frame, expected)
        assert tight.quality == quality
        limit = tight.connection.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit is not None and limit[0] == "61.0 MiB"  # as set, after any retry


def test_product_tables_come_from_one_read_and_add_up(generated):
    """Buyers, spend and monthly units per segment, against pandas on the same lines."""
    from custseg.affinity import product_tables

    folder, lines, _ = generated
    with customer_features(folder / "history.csv") as history:
        ids = history.frame["CustomerID"]
        segments = pd.DataFrame({"CustomerID": ids, "segment": ids % 3})
        tables = product_tables(history.connection, segments, "CustomerID", money=True)
    known = lines.dropna(subset=["CustomerID"]).assign(
        segment=lambda f: f["CustomerID"].astype("int64") % 3,
        amount=lambda f: f["Quantity"].astype(float) * f["UnitPrice"],
        is_return=lambda f: f["InvoiceNo"].str.startswith("C") | (f["Quantity"] < 0))
    spend = known.groupby(["segment", "StockCode"])["amount"].sum()
    share = tables["product_share.csv"]
    for row in share.head(5).itertuples():
        assert row.value == pytest.approx(spend[(row.segment, row.product)])
    totals = spend.groupby(level=0).sum()
    assert share["share"].tolist() == pytest.approx(
        [row.value / totals[row.segment] for row in share.itertuples()])
    buyers = known[~known["is_return"]].groupby(["segment", "StockCode"])["CustomerID"].nunique()
    affinity = tables["affinity.csv"]
    assert len(affinity) > 0
    for row in affinity.itertuples():
        assert row.buyers == buyers[(row.segment, row.product)]
    monthly = tables["monthly_sales.csv"]
    assert monthly["product"].nunique() == 5


def test_a_statement_that_cannot_spill_runs_again_with_more_memory(monkeypatch):
    from custseg.features import duck_session

    monkeypatch.setattr(duck_session, "MEMORY_LIMIT_MB", 16)
    con = duck_session.connect()
    sql = "CREATE TABLE t AS SELECT len(list(i)) AS n FROM range(4000000) r(i)"
    with pytest.raises(duckdb.OutOfMemoryException):  # a list cannot be spilled
        con.execute(sql)
    duck_session.execute_bounded(con, sql)
    assert con.execute("SELECT n FROM t").fetchone() == (4_000_000,)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit == ("15.2 MiB",)  # back to the session's limit
    con.close()
