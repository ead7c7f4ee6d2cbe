"""Feature roles: detection from column names, overrides, and names and plays that follow them."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custseg
from custseg.errors import ConfigError, DataError
from custseg.playbook import play_for
from custseg.roles import ROLES, FeatureProfile, detect_role, parse_role_options, resolve_roles


@pytest.mark.parametrize(("column", "role"), [
    # recency, whatever purchase or order words the name also holds
    ("days_since_last_purchase", "recency"), ("DaysSinceLastOrder", "recency"),
    ("last_order_days_ago", "recency"), ("Recency", "recency"),
    ("days since last visit", "recency"), ("recency_days", "recency"),
    # a money figure of the last order is an order value, not a recency
    ("last_purchase_amount", "order_value"),
    ("orders_last_year", "frequency"), ("num_orders", "frequency"), ("visits", "frequency"),
    ("NumPurchases", "frequency"), ("transaction_count", "frequency"), ("visits_90d", "frequency"),
    ("frequency", "frequency"), ("total_items", "frequency"),
    ("mean_days_between_orders", "interval"), ("avg_days_between_purchases", "interval"),
    ("total_spend", "monetary"), ("Spending Score (1-100)", "monetary"),
    ("revenue_12m", "monetary"), ("customer_lifetime_value", "monetary"),
    ("monetary", "monetary"),
    ("average_basket", "order_value"), ("avg_order_value", "order_value"), ("AOV", "order_value"),
    ("tenure_months", "tenure"), ("customer_since_days", "tenure"), ("tenure_days", "tenure"),
    ("days_since_first_purchase", "tenure"),
    ("distinct_categories", "breadth"), ("distinct_products", "breadth"),
    ("returns_count", "returns"), ("return_share", "returns"), ("refunds", "returns"),
    ("Annual Income (k$)", "capacity"), ("household_income", "capacity"), ("Salary", "capacity"),
    ("Age", "age"), ("customer_age", "age"),
    ("web_sessions", "engagement"), ("email_opens", "engagement"), ("minutes_in_app", "engagement"),
    ("loyalty_score", "engagement"), ("site_visits", "engagement"),
    # "age" is a whole word only
    ("usage_hours", "engagement"), ("average_rating", "other"),
    ("postcode", "other"), ("store_id", "other"), ("postcode_number", "other"),
    ("household_size", "other"),
])
def test_detect_role(column, role):
    assert role in ROLES
    assert detect_role(column) == role


def test_overrides_win_and_match_names_loosely():
    features = ["visits_90d", "Annual Income (k$)", "x"]
    assert resolve_roles(features) == {"visits_90d": "frequency",
                                       "Annual Income (k$)": "capacity", "x": "other"}
    roles = resolve_roles(features, {"VISITS-90D": "engagement", "annual income k$": "Monetary",
                                     "x": "order-value"})
    assert roles == {"visits_90d": "engagement", "Annual Income (k$)": "monetary",
                     "x": "order_value"}


def test_unknown_role_and_column_are_one_line_errors():
    with pytest.raises(ConfigError) as unknown:
        resolve_roles(["visits"], {"visits": "loyalty"})
    message = str(unknown.value)
    assert "unknown role 'loyalty'" in message and "\n" not in message
    assert all(role in message for role in ROLES)
    with pytest.raises(DataError) as missing:
        resolve_roles(["visits", "income"], {"spend": "monetary"})
    message = str(missing.value)
    assert "'spend'" in message and "'visits', 'income'" in message and "\n" not in message


def test_role_options():
    assert parse_role_options(["visits_90d=engagement", "a=b=monetary", " x = Age "]) == {
        "visits_90d": "engagement", "a=b": "monetary", "x": "age"}
    for bad in ("visits_90d", "=monetary", "visits="):
        with pytest.raises(ConfigError, match=r"--role needs COLUMN=ROLE, e\.g\. --role ") as e:
            parse_role_options([bad])
        assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="unknown role 'spendy'"):
        parse_role_options(["x=spendy"])


@pytest.mark.parametrize("z", [-2.0, -0.8, 0.8, 2.0])
@pytest.mark.parametrize("column", ["postcode_number", "web_sessions", "Age"])
def test_other_engagement_and_age_fire_no_rule(column, z):
    play = play_for([FeatureProfile(column, "numeric", z=z, role=detect_role(column))])
    assert play.rule.startswith("fallback:") and play.goal == "test and learn"
    assert "custseg export --holdout" in " ".join(play.actions)


def test_heavy_buyers_on_low_income_are_not_told_to_spend_little():
    play = play_for([FeatureProfile("orders_last_year", "numeric", z=1.4, role="frequency"),
                     FeatureProfile("income", "numeric", z=-0.8, role="capacity")])
    assert play.rule.startswith("reward loyalty:")
    play = play_for([FeatureProfile("income", "numeric", z=-0.8, role="capacity")])
    assert not play.rule.startswith(("price-led", "loyal on a budget"))


def generic_table(seed: int = 0, per_group: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers with everyday column names and three planted groups: 0 lapsed (long since the
    last purchase, few orders), 1 heavy buyers (recent, many orders), 2 high income."""
    rng = np.random.default_rng(seed)
    days = [(300, 30), (10, 5), (60, 20)]
    orders = [2, 40, 10]
    income = [(50_000, 8_000), (50_000, 8_000), (120_000, 10_000)]
    group = np.repeat(np.arange(3), per_group)
    frame = pd.DataFrame({
        "customer_id": np.arange(len(group)),
        "days_since_last_purchase": np.concatenate(
            [rng.normal(*days[g], per_group) for g in range(3)]).clip(0).round(),
        "income": np.concatenate([rng.normal(*income[g], per_group) for g in range(3)]).round(),
        "orders_last_year": np.concatenate([rng.poisson(orders[g], per_group) for g in range(3)]),
    })
    return frame, group


def _segment_holding(result: custseg.SegmentationResult, group: np.ndarray, planted: int) -> int:
    return int(result.assignments["segment"][group == planted].mode()[0])


def test_generic_names_and_plays_follow_what_columns_mean():
    frame, group = generic_table()
    result = custseg.segment(frame, k=3, seed=0)
    profiles = result.profiles
    lapsed = profiles[_segment_holding(result, group, 0)]
    assert lapsed.name.lower().startswith("lapsed")
    assert lapsed.extra["playbook"]["rule"].startswith("win back")
    assert "days since last purchase averages 30" in lapsed.description  # ~300 days
    heavy = profiles[_segment_holding(result, group, 1)]
    assert heavy.name.startswith("Recent, frequent")
    assert not heavy.extra["playbook"]["rule"].startswith(("price-led", "loyal on a budget"))
    assert not any("spend per customer small" in a for a in heavy.extra["playbook"]["actions"])
    assert "high income" in profiles[_segment_holding(result, group, 2)].name.lower()
    for p in profiles:
        assert "days since last purchase" not in p.name.lower()
        assert {f.feature: f.role for f in p.features} == {
            "days_since_last_purchase": "recency", "income": "capacity",
            "orders_last_year": "frequency"}
        assert p.to_dict()["profile"]["income"]["role"] == "capacity"


def test_profile_and_playbook_import_no_cycle():
    # playbook reads roles only; profile uses the playbook, never the other way round.
    source = Path(custseg.__file__).parent / "playbook.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):  # module level, in functions, anywhere
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not any(name.split(".")[-1] == "profile" for name in imported)
    assert "roles" in imported


def test_role_overrides_reach_names_plays_and_the_summary():
    features = ["Annual Income (k$)", "Spending Score (1-100)"]
    detected = custseg.segment(None, features=features, k=5, seed=0).summary
    assert detected["roles"] == {"Annual Income (k$)": "capacity",
                                 "Spending Score (1-100)": "monetary"}
    assert "VIP: spend high and capacity high" in [
        s["extra"]["playbook"]["rule"] for s in detected["segments"]]
    neutral = custseg.segment(None, features=features, k=5, seed=0,
                              roles={"spending score (1-100)": "other"}).summary
    assert neutral["roles"]["Spending Score (1-100)"] == "other"
    rules = [s["extra"]["playbook"]["rule"] for s in neutral["segments"]]
    # Without a spend feature no income-and-spend rule can fire.
    assert not any(r.split(":")[0] in ("VIP", "share of wallet", "loyal on a budget",
                                       "price-led") for r in rules)
    assert [s["id"] for s in neutral["segments"]] == [s["id"] for s in detected["segments"]]


@pytest.mark.parametrize(("option", "words"), [
    ("Age=loyalty", "role 'loyalty'"),
    ("Postcode=age", "'Postcode'"),
    ("Age", "COLUMN=ROLE"),
])
def test_cli_refuses_a_bad_role(option, words, capsys, tmp_path):
    from custseg.cli import main

    out = tmp_path / "out"
    assert main(["segment", "--role", option, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("custseg: error:") and words in err and "\n" not in err
    assert not out.exists()
