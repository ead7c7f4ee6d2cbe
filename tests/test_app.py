"""The web app's logic with Streamlit's AppTest (no browser): the page calls the library."""

from __future__ import annotations

from pathlib import Path

import pytest

import custseg

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
    assert [h.value for h in app.header] == ["1. Your data", "2. How many segments",
                                             "3. The segments", "4. Take it away"]
    expected = custseg.segment()
    assert app.number_input[0].value == expected.summary["k"]
    assert _sizes(app) == [p.size for p in expected.profiles]
    assert any(expected.summary["k_selection"]["reason"] in m.value for m in app.markdown)
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
