"""The web app's logic with Streamlit's AppTest (no browser): the page calls the library."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.app_detect import history_reason
from custseg.app_messages import in_page_terms
from custseg.features.columns import find_columns, map_columns

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(custseg.__file__).parent / "app.py")


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def _segments(at: AppTest) -> list:
    return [e for e in at.expander if e.label.startswith("Segment ")]


def _sizes(at: AppTest) -> list[int]:
    return [int(e.label.rsplit("(", 1)[1].split()[0].replace(",", "")) for e in _segments(at)]


def test_sample_runs_end_to_end_with_the_recommended_k(app):
    assert not app.exception and not app.error
    assert [h.value for h in app.header] == ["1. Your data", "2. The answer in brief",
                                             "3. The segments", "4. Take it away"]
    expected = custseg.segment()
    assert app.number_input[0].value == expected.summary["k"]
    assert _sizes(app) == [p.size for p in expected.profiles]
    assert any(expected.summary["k_selection"]["reason"] in m.value for m in app.markdown)
    assert [e.label for e in app.expander][-1] == "How k was chosen"  # after the segments
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Download segments.csv", "Download model.json", "Download report.html",
                      "Download target list"]


def test_data_quality_and_profile_chart_are_shown(app):
    assert app.expander[0].label == "Data quality"
    assert "200 rows read, 200 customers used; 0 row(s) with missing values" in " ".join(
        m.value for m in app.markdown)


def test_picking_k_shows_that_many_segments(app):
    app.number_input[0].set_value(5).run()
    expected = custseg.segment(k=5)
    assert _sizes(app) == [p.size for p in expected.profiles]
    assert [e.label.split(":", 1)[1].rsplit("(", 1)[0].strip() for e in _segments(app)] == [
        p.name for p in expected.profiles]


def test_income_spending_gives_the_classic_five(app):
    app.multiselect(key="features").set_value(["Annual Income (k$)",
                                               "Spending Score (1-100)"]).run()
    assert app.number_input[0].value == 5
    assert _sizes(app) == [81, 39, 35, 23, 22]


def test_names_are_editable_and_must_stay_distinct(app):
    app.text_input[0].set_value("Best friends").run()
    assert _segments(app)[0].label.startswith("Segment 0: Best friends")
    app.text_input[1].set_value("Best friends").run()
    assert [e.value for e in app.error] == [
        "two segments would share a name; give each segment its own name"]
    app.text_input[1].set_value("Someone else").run()
    assert not app.error


def test_bad_choices_are_messages_not_tracebacks(app):
    app.selectbox(key="id_col").set_value("Gender").run()
    assert not app.exception
    assert "column 'Gender' is the customer id and cannot also be a feature" in app.error[0].value
    app.selectbox(key="id_col").set_value("CustomerID").run()
    assert not app.error and len(_segments(app)) > 0
    app.radio(key="kind").set_value("Purchase history (one row per purchase line)").run()
    assert "built-in sample is a customer table" in app.warning[0].value


def test_app_without_extra_names_it(cli, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "streamlit" else real(name, *a))
    result = cli("app")
    assert result.code == 2
    assert "custseg app needs the optional 'app' extra; install it with pip install " \
           "'custseg[app]'" in result.err


@pytest.mark.parametrize("limit", ["abc", "0", "-5", "1.5"])
def test_a_bad_upload_limit_is_refused_before_the_server_starts(cli, monkeypatch, limit):
    pytest.importorskip("streamlit")
    monkeypatch.setenv("CUSTSEG_APP_MAX_MB", limit)
    result = cli("app", "--port", "1")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"custseg: error: CUSTSEG_APP_MAX_MB must be a whole number of megabytes, got "
        f"{limit!r}; unset it for the default (200 MB)"]


# --- Purchase histories and the column mapping (issue 14) ---

def _history_csv(customer_column: str = "cust_no", customers: int = 600, seed: int = 0) -> bytes:
    """A CD-store-like history (as CDNOW): every customer first buys within 12 weeks, then
    0 to several repeat purchases over 18 months; dates written YYYYMMDD."""
    rng = np.random.default_rng(seed)
    lines = rng.geometric(0.45, customers)
    customer = np.repeat(np.arange(1, customers + 1), lines)
    first = np.repeat(rng.integers(0, 84, customers), lines)
    repeat = np.concatenate([[False], customer[1:] == customer[:-1]])
    day = first + np.where(repeat, rng.integers(1, 460, len(customer)), 0)
    units = rng.integers(1, 6, len(customer))
    dates = pd.Timestamp("1997-01-01") + pd.to_timedelta(day, "D")
    return pd.DataFrame({customer_column: customer, "purchase_date": dates.strftime("%Y%m%d"),
                         "units": units, "spend": (units * rng.gamma(3, 5, len(customer))).round(2),
                         }).to_csv(index=False).encode()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    if at.radio(key="source").value != "Upload a file":
        at.radio(key="source").set_value("Upload a file").run()
    return at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()


def _page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "header")
             for e in at.get(kind) if isinstance(e.value, str)]
    return "\n".join(parts + [e.label for e in at.expander])


def _no_dead_end(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not re.search(r"--[a-z]", _page_text(at))


def test_a_history_keeps_no_live_connection_and_every_control_works(app, monkeypatch):
    """The issue's crash: a cached result held the history's DuckDB session, which renaming
    copied (TypeError: cannot pickle 'DuckDBPyConnection'). Here the library hands the page a
    live session, as it did then: the page must close it before caching the result."""
    real = custseg.segment
    sessions: list[duckdb.DuckDBPyConnection] = []

    def with_live_session(*args, **kwargs):
        result = real(*args, **kwargs)
        sessions.append(duckdb.connect())
        features = dataclasses.replace(result.history.features, connection=sessions[-1])
        return dataclasses.replace(result, history=dataclasses.replace(result.history,
                                                                       features=features))

    monkeypatch.setattr(custseg, "segment", with_live_session)
    at = _upload(app, "cd-store.csv", _history_csv(seed=14))
    assert at.radio(key="kind").value.startswith("Purchase history")
    names = [e.label for e in _segments(at)]
    at.text_input[0].set_value("Our best customers").run()
    _no_dead_end(at)
    assert _segments(at)[0].label.startswith("Segment 0: Our best customers")
    k = at.number_input[0].value + 1
    at.number_input[0].set_value(k).run()
    _no_dead_end(at)
    assert len(_segments(at)) == k
    at.text_input[1].set_value("Second").run()
    at.slider(key="holdout").set_value(30).run()
    at.selectbox(key="export_segment").set_value(at.selectbox(key="export_segment").options[1])
    at.run()
    _no_dead_end(at)
    assert "Second" in _segments(at)[1].label and names
    assert len(at.get("download_button")) == 4
    assert sessions, "the page did not segment through custseg.segment"
    for session in sessions:  # closed: nothing live was cached or copied
        with pytest.raises(duckdb.ConnectionException):
            session.execute("SELECT 1")


def test_cust_no_history_is_recognised_mapped_and_segmented(app):
    at = _upload(app, "cdnow.csv", _history_csv("cust_no"))
    assert at.radio(key="kind").value.startswith("Purchase history")
    assert "This looks like a purchase history: 'cust_no' repeats like a customer id" in \
        at.info[0].value
    assert [at.selectbox(key=f"map_{r}").value for r in ("customer", "date", "quantity",
                                                          "amount", "price")] == [
        "cust_no", "purchase_date", "units", "spend", "(none)"]
    _no_dead_end(at)
    assert sum(_sizes(at)) == 600  # customers, not purchase lines


def test_an_undetected_customer_column_waits_for_the_analyst(app):
    at = _upload(app, "shop.csv", _history_csv("shopper_ref"))
    assert at.radio(key="kind").value.startswith("Purchase history")
    assert at.selectbox(key="map_customer").value is None
    assert at.warning[0].value.startswith("Pick the customer id column above: no column is "
                                          "named like one")
    assert "'shopper_ref' repeats like a customer id" in at.warning[0].value
    assert len(at.header) == 1 and not _segments(at)  # nothing ran on a guess
    _no_dead_end(at)
    at.selectbox(key="map_customer").set_value("shopper_ref").run()
    _no_dead_end(at)
    assert sum(_sizes(at)) == 600

    # A new upload of the same shape keeps the kind and the mapping, even with the uploader
    # emptied in between (as a browser does when a file replaces another).
    at.file_uploader(key="upload").set_value(None).run()
    at = _upload(at, "shop-2.csv", _history_csv("shopper_ref", customers=500, seed=3))
    assert at.radio(key="kind").value.startswith("Purchase history")
    assert at.selectbox(key="map_customer").value == "shopper_ref"
    _no_dead_end(at)
    assert sum(_sizes(at)) == 500


def test_a_table_whose_id_is_not_detected_waits_for_the_pick(app, mall):
    table = mall.rename(columns={"CustomerID": "shopper_ref"})
    table = table[[*table.columns[1:], "shopper_ref"]]  # not first: nothing says it is the id
    at = _upload(app, "mall.csv", table.to_csv(index=False).encode())
    assert at.radio(key="kind").value.startswith("Customer table")
    assert at.selectbox(key="id_col").value is None
    assert "'shopper_ref' has a different whole number on every row" in at.warning[0].value
    assert "shopper_ref" not in at.multiselect(key="features").value
    assert not _segments(at)
    at.selectbox(key="id_col").set_value("shopper_ref").run()
    _no_dead_end(at)
    assert sum(_sizes(at)) == 200


def test_library_messages_are_in_the_pages_terms(app):
    # A history run as a customer table: its ids repeat. The fix is a box on the page.
    at = app
    at = _upload(at, "cd.csv", _history_csv("cust_no"))
    at.radio(key="kind").set_value("Customer table (one row per customer)").run()
    at.selectbox(key="id_col").set_value("cust_no").run()
    assert "or pick another customer id column above" in at.error[0].value
    assert "--" not in at.error[0].value
    # The library's own messages (features/columns.py, schema.py, reading) in page terms.
    messages = {
        "no customer id column found (looked for names like customerid; columns are: 'a'); "
        "name it with --customer-col":
            "no customer id column found (looked for names like customerid; columns are: "
            "'a'); pick the customer column above",
        "column 'x' given in --date-col not found; columns are: 'a'":
            "column 'x' picked as the date column not found; columns are: 'a'",
        "column 'Gender' is the customer id and cannot also be a feature; remove it from "
        "--features or pass another --id-col":
            "column 'Gender' is the customer id and cannot also be a feature; leave it out of "
            "the features above or pick another customer id column above",
        "no usable feature columns: the header was read as 'a;b', which looks split wrongly; "
        "pass the delimiter, e.g. --delimiter ';'":
            "no usable feature columns: the header was read as 'a;b', which looks split "
            "wrongly; save the file separated by commas, or give the delimiter ';' to custseg "
            "segment on the command line",
        "no purchase lines on or before the as-of date 1990-01-01; pick a later --as-of":
            "no purchase lines on or before the as-of date 1990-01-01; give a later as-of date "
            "to custseg segment on the command line",
        "dates read as day first; give --date-format if they are not":
            "dates read as day first; give the date format option of custseg segment (command "
            "line) if they are not",
    }
    for message, page in messages.items():
        assert in_page_terms(message) == page


@pytest.mark.parametrize(("header", "customer", "date"), [
    (["cust_no", "purchase_date", "units", "spend"], "cust_no", "purchase_date"),
    (["customer_no", "sale_date", "qty", "price"], "customer_no", "sale_date"),
    (["Client ID", "Trans Date", "Amount"], "Client ID", "Trans Date"),
    (["CustNum", "Date", "Spent"], "CustNum", "Date"),
])
def test_common_spellings_of_the_customer_and_date_columns_are_recognised(header, customer,
                                                                          date):
    found = map_columns(header, {})
    assert (found.customer, found.date) == (customer, date)
    assert find_columns(header)["customer"] == customer  # what the page pre-fills


def test_a_customer_table_is_not_taken_for_a_history(mall):
    mall["signup_date"] = pd.date_range("2020-01-01", periods=len(mall)).strftime("%Y-%m-%d")
    assert history_reason(mall) is None  # unique ids: one row per customer
    lines = pd.read_csv(io.BytesIO(_history_csv("cust_no")))
    assert history_reason(lines).startswith("This looks like a purchase history: 'cust_no'")
    assert history_reason(lines.drop(columns="purchase_date")) is None  # no dates


# --- The business answer first; names kept across k (issue 14, items 3 and 4) ---

def _answer_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "share of customers" in d.value.columns)


def _cd_store(app: AppTest) -> tuple[AppTest, dict]:
    """The CD-store history uploaded, and the summary the library gives for it: what the page
    ran, asked of the library (the page's figures must be the summary's)."""
    at = _upload(app, "cd-store.csv", _history_csv(seed=14))
    _no_dead_end(at)
    return at, custseg.segment(_saved_upload(at), transactions=True, customer_col="cust_no",
                               date_col="purchase_date", quantity_col="units",
                               amount_col="spend").summary


def test_a_history_opens_with_the_business_answer_in_the_summarys_figures(app):
    at, summary = _cd_store(app)
    kpis = summary["kpis"]
    revenue = sum(k["revenue"] for k in kpis)
    lead = next(m.value for m in at.markdown if m.value.startswith("From "))
    assert lead == (f"From 1 January 1997 to 13 June 1998 (17 months), "
                    f"{summary['n_customers']:,} customers spent {revenue:,.0f}. "
                    f"They fall into {summary['k']} segments.")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Customers": f"{summary['n_customers']:,}", "Revenue": f"{revenue:,.0f}",
                       "Period": "17 months", "Segments": str(summary["k"])}
    table = _answer_table(at)
    assert table["share of customers"].tolist() == [f"{100 * k['share']:.0f}%" for k in kpis]
    assert table["share of revenue"].tolist() == [f"{100 * k['revenue_share']:.0f}%"
                                                  for k in kpis]
    assert table["revenue at stake"].tolist() == [f"{k['revenue']:,.0f}" for k in kpis]
    assert table["play"].tolist() == [f"{s['extra']['playbook']['goal']}: "
                                      f"{s['extra']['playbook']['actions'][0]}"
                                      for s in summary["segments"]]
    assert any(m.value.startswith("Stability: ") for m in at.markdown)
    assert summary["structure"]["verdict"] in " ".join(
        b.value for b in [*at.info, *at.warning])
    # the answer comes before the statistics, which wait in "How k was chosen"
    labels = [e.label for e in at.expander]
    assert labels[-1] == "How k was chosen" and labels[0] == "Data quality"
    # no raw figure such as 0.6624 or 1960962.05 in the answer or the segments' own tables
    frames = [table] + [d.value for e in _segments(at) for d in e.dataframe]
    assert len(frames) == 1 + len(_segments(at))
    for frame in frames:
        for value in frame.to_numpy().ravel():
            assert not re.fullmatch(r"\d+\.\d{3,}", str(value)), value


def test_the_currency_the_result_carries_is_written_with_the_money():
    summary = {"n_customers": 3, "k": 2, "currency": {"symbol": "EUR"},
               "kpis": [{"segment": 0, "name": "a", "customers": 1, "share": 1 / 3,
                         "revenue": 1234.4, "revenue_share": 0.6},
                        {"segment": 1, "name": "b", "customers": 2, "share": 2 / 3,
                         "revenue": 822.9, "revenue_share": 0.4}]}
    from custseg.app_answer import headline
    from custseg.report.answer import lead
    assert lead(summary) == "3 customers spent 2,057 EUR. They fall into 2 segments."
    assert headline(summary) == "**a**: 33% of customers (1) bring 60% of revenue (1,234 EUR)."


def _saved_upload(at: AppTest) -> str:
    from custseg.app import UPLOADS
    name = at.file_uploader(key="upload").value.name
    return str(next(UPLOADS.glob(f"*-{name}")))


def _names(at: AppTest) -> list[str]:
    return [e.label.split(":", 1)[1].rsplit("(", 1)[0].strip() for e in _segments(at)]


def test_a_renamed_segment_keeps_its_name_at_another_k_where_it_is_the_same(app):
    six, seven = custseg.segment(k=6), custseg.segment(k=7)
    assert app.number_input[0].value == 6
    spenders = next(p.id for p in six.profiles if p.name == "High spending, high income")
    app.text_input[spenders].set_value("Big spenders").run()
    _k_buttons(app)["Show 7 segments"].click().run()  # picked from the view of k
    _no_dead_end(app)
    # the same customers' segment at k=7 (by the library's --align-to matching)
    same = next(p.id for p in seven.profiles if p.name == "High spending, high income")
    names = _names(app)
    assert names[same] == "Big spenders"
    assert [n for i, n in enumerate(names) if i != same] == [
        p.name for p in seven.profiles if p.id != same]  # the rest keep their suggested names
    assert (f"'Big spenders' (segment {spenders} then, {same} now)"
            in " ".join(i.value for i in app.info))
    # the downloads use the carried name
    assert "Big spenders" in app.selectbox(key="export_segment").options[same]
    # and back to 6 with the number box: the name returns to its segment there
    app.number_input[0].set_value(6).run()
    assert _names(app)[spenders] == "Big spenders"


def test_a_name_without_a_clear_match_is_left_and_the_page_says_so(app):
    six = custseg.segment(k=6)
    lowest = next(p.id for p in six.profiles if p.name == "Low income, low spending")
    app.text_input[lowest].set_value("Bargain hunters").run()
    app.number_input[0].set_value(5).run()
    _no_dead_end(app)
    assert "Bargain hunters" not in _names(app)
    assert _names(app) == [p.name for p in custseg.segment(k=5).profiles]
    assert "Not carried, as no segment here clearly matches: 'Bargain hunters'" in " ".join(
        i.value for i in app.info)


# --- k picked from the view of k in business terms; the page in people's words ---

def _k_buttons(at: AppTest) -> dict:
    return {b.label: b for b in at.button if re.fullmatch(r"Show \d+ segments", b.label)}


def _k_cards(at: AppTest) -> list[str]:
    """Each k's segments in the side-by-side view (its markdown list), in increasing k."""
    return [m.value for m in at.markdown if m.value.startswith("- **")]


def _card_line(segment: dict, with_money: bool) -> str:
    from custseg.report.answer import percent
    from custseg.stability import label

    money = f" · {percent(segment['revenue_share'])} of revenue" if with_money else ""
    return (f"- **{segment['name']}**: {segment['customers']:,} customers "
            f"({percent(segment['share'])}){money} · {label(segment['stability'])}")


def test_k_is_picked_from_the_side_by_side_view_of_k_in_business_terms(app):
    summary = custseg.segment().summary
    rows, recommended = summary["k_alternatives"], summary["k"]
    assert [r["k"] for r in rows] == [5, 6, 7, 8]  # the recommended 6 and its neighbours
    assert _k_cards(app) == ["\n".join(_card_line(s, False) for s in r["segments"])
                             for r in rows]
    headers = [m.value for m in app.markdown if re.fullmatch(r"\*\*\d+ segments\*\*.*", m.value)]
    assert headers == ["**5 segments**", "**6 segments** (recommended, shown below)",
                       "**7 segments**", "**8 segments**"]
    buttons = _k_buttons(app)
    assert list(buttons) == [f"Show {r['k']} segments" for r in rows]
    assert [b.disabled for b in buttons.values()] == [r["k"] == recommended for r in rows]

    buttons["Show 8 segments"].click().run()
    _no_dead_end(app)
    eight = custseg.segment(k=8)
    assert app.number_input[0].value == 8  # the box follows the view: one choice, two controls
    assert _sizes(app) == [p.size for p in eight.profiles]
    assert _names(app) == [p.name for p in eight.profiles]
    assert [b.disabled for b in _k_buttons(app).values()] == [False, False, False, True]
    assert "**8 segments** (shown below)" in [m.value for m in app.markdown]
    # the view is the automatic run's, whatever k is shown: it does not change with the pick
    assert _k_cards(app) == ["\n".join(_card_line(s, False) for s in r["segments"])
                             for r in rows]
    # a k outside the view: the number box
    app.number_input[0].set_value(3).run()
    _no_dead_end(app)
    assert len(_segments(app)) == 3 and not any(b.disabled for b in _k_buttons(app).values())


def test_a_historys_view_of_k_gives_revenue_shares_and_the_quality_counts_for_people(app):
    at, summary = _cd_store(app)
    rows = summary["k_alternatives"]
    assert len(rows) >= 2
    assert _k_cards(at) == ["\n".join(_card_line(s, True) for s in r["segments"])
                            for r in rows]
    other = next(r for r in rows if r["k"] != summary["k"])
    _k_buttons(at)[f"Show {other['k']} segments"].click().run()
    _no_dead_end(at)
    assert len(_segments(at)) == other["k"]
    # the data-quality table: counts with thousands separators, in the report's words
    quality = next(d.value for d in at.dataframe if "what was done" in d.value.columns)
    counts = dict(zip(quality["check"], quality["lines"], strict=True))
    lines = summary["transactions"]["quality"]["lines"]
    assert lines > 1000 and counts["purchase lines read"] == f"{lines:,}"
    assert counts["lines without a date"] == "0"


def test_history_quality_rows_format_every_count_and_leave_out_what_did_not_apply():
    from custseg.app_quality import history_rows

    quality = {"lines": 69659, "lines_used": 69650, "lines_without_customer": 9,
               "lines_without_date": 0, "lines_after_as_of": 0, "lines_before_1970": None,
               "ids_trimmed": 1200, "numbers_from_text": {"spend": 12345},
               "return_lines": 3, "returned_amount": 1234.5, "returns_netting": "netted",
               "zero_or_negative_price_lines": None, "zero_amount_lines": 80,
               "exact_duplicate_lines": 2, "duplicates_policy": "kept and counted"}
    rows = history_rows(quality, "$")
    assert rows.to_dict("records") == [
        {"check": "purchase lines read", "lines": "69,659", "what was done": "all read"},
        {"check": "lines used", "lines": "69,650", "what was done": "in the customers' features"},
        {"check": "lines without a customer id", "lines": "9",
         "what was done": "left out of customer features (cannot be attributed)"},
        {"check": "lines without a date", "lines": "0", "what was done": "left out"},
        {"check": "lines after the as-of date", "lines": "0", "what was done": "left out"},
        {"check": "amounts in 'spend' written with currency signs or thousands separators",
         "lines": "12,345", "what was done": "read as numbers"},
        {"check": "customer ids with spaces around them", "lines": "1,200",
         "what was done": "spaces removed"},
        {"check": "returns and cancellations", "lines": "3",
         "what was done": "netted (returned amount $1,234.50)"},
        {"check": "lines with zero spend", "lines": "80",
         "what was done": "kept as read: part of their order, adding nothing to spend"},
        {"check": "exact duplicate lines", "lines": "2", "what was done": "kept and counted"},
    ]


def _dollar_history() -> pd.DataFrame:
    """The CD-store history with zero-padded ids nobody named as such and amounts in dollars."""
    lines = pd.read_csv(io.BytesIO(_history_csv("cust_ref", seed=5)))
    lines["cust_ref"] = lines["cust_ref"].map("{:05d}".format)
    lines["spend"] = lines["spend"].map("${:,.2f}".format)
    return lines


def test_the_preview_shows_the_file_as_written_and_dollars_are_not_math(app):
    lines = _dollar_history()
    at = _upload(app, "dollars.csv", lines.to_csv(index=False).encode())
    assert not _segments(at)  # the customer column is not named like one: nothing ran yet
    preview = at.dataframe[0].value
    assert preview["cust_ref"].tolist() == lines["cust_ref"].head(20).tolist()  # 00001
    assert preview["spend"].tolist() == lines["spend"].head(20).tolist()  # $1,059.30
    at.selectbox(key="map_customer").set_value("cust_ref").run()
    _no_dead_end(at)
    assert sum(_sizes(at)) == lines["cust_ref"].nunique()
    revenue = pd.to_numeric(lines["spend"].str.replace("[$,]", "", regex=True)).sum()
    # Streamlit reads $...$ in markdown (metrics and labels too) as LaTeX: every "$" the page
    # writes is escaped, so it shows as a dollar sign.
    said = f"\\${revenue:,.0f}"
    assert {m.label: m.value for m in at.metric}["Revenue"] == said
    assert any(said in m.value for m in at.markdown if m.value.startswith("From "))
    for text in _page_text(at).split("\n"):
        assert not re.search(r"(?<!\\)\$", text), text
    assert (f"Money is shown in \\$ (detected: {len(lines):,} amounts written with \\$)."
            in [c.value for c in at.caption])


def test_typed_names_are_shown_as_typed_not_as_markup(app):
    app.text_input[0].set_value("$VIP$ *club*").run()
    _no_dead_end(app)
    assert _segments(app)[0].label.startswith("Segment 0: \\$VIP\\$ \\*club\\* (")


@pytest.mark.parametrize(("text", "shown"), [
    ("spent $1,222,671; $854,823 of it", "spent \\$1,222,671; \\$854,823 of it"),
    ("Income (k$) and Spending (k$)", "Income (k\\$) and Spending (k\\$)"),
    ("cust_no and _private_ *bold* [link](x) a|b ~x~ `c` <b>",
     "cust_no and \\_private\\_ \\*bold\\* \\[link\\](x) a\\|b \\~x\\~ \\`c\\` \\<b\\>"),
    ("C:\\path", "C:\\\\path"),
    ("From 1 January 1997 (17 months), 600 customers.",
     "From 1 January 1997 (17 months), 600 customers."),
])
def test_text_for_markdown_is_shown_as_written(text, shown):
    from custseg.app_messages import for_markdown
    assert for_markdown(text) == shown
