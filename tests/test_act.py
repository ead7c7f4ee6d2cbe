"""Acting on segments: KPIs, playbook, target lists, uplift, affinity, recommendations, CSVs."""

from __future__ import annotations

import csv
import hashlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

import custseg
from custseg.datasets.synthetic_history import purchase_history
from custseg.io import FORMULA_STARTS
from custseg.playbook import RULES, play_for
from custseg.profile import FeatureProfile
from custseg.recommend import evaluate_holdout
from custseg.targeting import control_mask, parse_share
from custseg.uplift import read_out, two_proportion

from .test_history import GROCERIES


@pytest.fixture(scope="module")
def groceries_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("groceries")
    result = custseg.segment(GROCERIES, transactions=True, k=3)
    result.save(out)
    return result, out


def test_affinity_equals_independent_pandas(groceries_run):
    result, out = groceries_run
    lines = pd.read_csv(GROCERIES)
    segments = pd.read_csv(out / "segments.csv")[["Member_number", "segment"]]
    bought = lines[["Member_number", "itemDescription"]].drop_duplicates().merge(
        segments, on="Member_number")
    overall = bought.groupby("itemDescription")["Member_number"].nunique() / len(segments)
    sizes = segments["segment"].value_counts()
    pairs = bought.groupby(["segment", "itemDescription"]).size().rename("buyers").reset_index()
    pairs["share"] = pairs["buyers"] / pairs["segment"].map(sizes)
    pairs["index"] = 100 * pairs["share"] / pairs["itemDescription"].map(overall)
    kept = pairs[(pairs["buyers"] >= 10) & (pairs["share"] >= 0.02) & (pairs["index"] > 100)]
    got = pd.read_csv(out / "affinity.csv")
    for segment, part in kept.groupby("segment"):
        expected = part.sort_values(["index", "itemDescription"], ascending=[False, True]).head(10)
        mine = got[got["segment"] == segment]
        assert mine["product"].tolist() == expected["itemDescription"].tolist()
        assert mine["affinity_index"].to_numpy() == pytest.approx(expected["index"].to_numpy())


def test_kpis_add_up(groceries_run, tmp_path):
    result, _ = groceries_run
    kpis = result.summary["kpis"]
    assert sum(k["customers"] for k in kpis) == 3898
    assert sum(k["share"] for k in kpis) == pytest.approx(1)
    lines, _ = purchase_history(2000, seed=2)
    custseg.io.write_table(tmp_path / "h.csv", lines)
    money = custseg.segment(tmp_path / "h.csv", transactions=True, k=4)
    kpis = money.summary["kpis"]
    assert sum(k["revenue"] for k in kpis) == pytest.approx(
        money.assignments["monetary"].sum(), abs=0.05)
    assert sum(k["revenue_share"] for k in kpis) == pytest.approx(1)
    for k in kpis:
        part = money.assignments[money.assignments["segment"] == k["segment"]]
        assert k["median_recency_days"] == part["recency_days"].median()
        assert k["orders_per_customer"] == pytest.approx(part["frequency"].mean(), abs=1e-3)


def _profile(**z: float) -> list[FeatureProfile]:
    """One numeric feature per keyword, with the role the playbook reads it by."""
    columns = {"recency": ("recency_days", "recency"), "frequency": ("frequency", "frequency"),
               "spend": ("monetary", "monetary"), "basket": ("avg_order_value", "order_value"),
               "tenure": ("tenure_days", "tenure"), "gaps": ("mean_days_between_orders",
                                                             "interval"),
               "capacity": ("Annual Income (k$)", "capacity"),
               "spending": ("Spending Score (1-100)", "monetary"), "age": ("Age", "age"),
               "score": ("loyalty_score", "engagement"), "postcode": ("postcode", "other")}
    return [FeatureProfile(columns[k][0], "numeric", z=v, role=columns[k][1])
            for k, v in z.items()]


@pytest.mark.parametrize(("z", "rule", "goal"), [
    ({"recency": 1.2, "frequency": 0.8, "spend": 0.1}, "win back valuable", "win back"),
    ({"recency": 1.2, "frequency": -0.8}, "win back", "win back (low cost)"),
    ({"recency": 1.2, "postcode": 2.0}, "win back", "win back (low cost)"),
    ({"recency": -1.0, "tenure": -1.5}, "onboard", "activate new customers"),
    ({"recency": -0.6, "frequency": 1.5, "spend": 1.4}, "reward loyalty", "retain"),
    # Heavy buyers on a low income are rewarded, never served "on a budget".
    ({"frequency": 1.5, "capacity": -1.0}, "reward loyalty", "retain"),
    ({"gaps": -1.0, "capacity": -1.0}, "reward loyalty", "retain"),
    ({"frequency": -0.9, "spend": -0.5}, "activate", "activate"),
    ({"recency": -0.8}, "nurture recent", "grow"),
    ({"capacity": 1.0, "spending": 1.1}, "VIP", "retain"),
    ({"capacity": 1.0, "spending": -1.1}, "share of wallet", "grow share of wallet"),
    ({"capacity": -1.0, "spending": 1.1, "age": -1.0}, "loyal on a budget", "retain"),
    ({"capacity": -1.0, "spending": -1.1}, "price-led", "serve efficiently"),
    ({"capacity": -1.0, "basket": -1.1}, "price-led", "serve efficiently"),
    ({"spend": 0.8, "basket": -2.0}, "retain spenders", "retain"),
    ({"spend": -0.8, "score": 2.0}, "activate low spenders", "activate"),
    ({"capacity": 1.2, "score": -2.0}, "premium potential", "grow"),
    ({"capacity": 0.1, "spending": 0.2}, "broad", "nurture"),
    ({"capacity": -1.0, "postcode": -2.0}, "broad", "nurture"),
    ({"recency": 0.2, "frequency": -0.3}, "steady", "nurture"),
])
def test_playbook_rules(z, rule, goal):
    play = play_for(_profile(**z))
    assert play.rule.startswith(rule + ":") and play.goal == goal
    assert 2 <= len(play.actions) <= 4
    assert {r.name for r in RULES} >= {rule}


def test_every_segment_has_a_playbook(groceries_run):
    rules = {r.name for r in RULES} | {"fallback"}
    for segment in groceries_run[0].summary["segments"]:
        play = segment["extra"]["playbook"]
        assert play["goal"] and 2 <= len(play["actions"]) <= 4 and ":" in play["rule"]
        assert play["rule"].split(":")[0] in rules


def test_hash_split_is_stable_and_honours_the_share():
    ids = [str(i) for i in range(100_000)]
    control = control_mask(ids, 0.10, "custseg")
    assert abs(control.mean() - 0.10) < 0.01
    # The split is sha256(salt:id): the same on every machine, run and row order.
    for i in ("7", "12345", "99999"):
        unit = int.from_bytes(hashlib.sha256(f"custseg:{i}".encode()).digest()[:8], "big") / 2**64
        assert control[int(i)] == (unit < 0.10)
    assert control_mask(["42", "7"], 0.1).tolist() == control_mask(["7", "42"], 0.1)[::-1].tolist()
    assert control_mask(ids[:1000], 0.3, "other").mean() == pytest.approx(0.3, abs=0.05)
    assert parse_share("10%") == parse_share("0.1") == parse_share("10") == 0.1


def test_export_cli(cli, groceries_run, tmp_path):
    _, out = groceries_run
    name = pd.read_csv(out / "segments.csv")["segment_name"].iloc[0]
    result = cli("export", "--segments", out, "--segment", name, "--holdout", "20%", "--out",
                 tmp_path / "list.csv")
    assert result.code == 0, result.err
    listed = pd.read_csv(tmp_path / "list.csv")
    assert set(listed["segment_name"]) == {name}
    assert abs((listed["group"] == "control").mean() - 0.2) < 0.05
    again = cli("export", "--segments", out, "--segment", name, "--holdout", "20%", "--out",
                tmp_path / "again.csv")
    assert again.code == 0
    assert pd.read_csv(tmp_path / "again.csv").equals(listed)
    wrong = cli("export", "--segments", out, "--segment", "Nobody", "--out", tmp_path / "x.csv")
    assert wrong.code == 2 and "no segment 'Nobody'; pass an id or a name from: 0:" in wrong.err


def test_uplift_reproduces_the_textbook_z_test():
    diff, low, high, p = two_proportion(60, 200, 40, 200)
    assert diff == pytest.approx(0.10)
    # pooled p = 0.25; SE = sqrt(0.25 * 0.75 * 2/200) = 0.0433013; z = 2.309401
    assert diff / math.sqrt(0.25 * 0.75 * (1 / 200 + 1 / 200)) == pytest.approx(2.309401, abs=1e-6)
    assert p == pytest.approx(0.020921, abs=1e-6)
    chi2, p_chi, _, _ = chi2_contingency([[60, 140], [40, 160]], correction=False)
    assert p == pytest.approx(p_chi, rel=1e-9)  # the z-test squared is the chi-square test
    se = math.sqrt(0.3 * 0.7 / 200 + 0.2 * 0.8 / 200)
    assert (low, high) == pytest.approx((0.1 - 1.959964 * se, 0.1 + 1.959964 * se), abs=1e-6)


def test_uplift_per_segment_and_verdicts(cli, tmp_path):
    rows = ([("t", "A", 1)] * 60 + [("t", "A", 0)] * 140 + [("c", "A", 1)] * 40
            + [("c", "A", 0)] * 160 + [("t", "B", 1)] * 10 + [("t", "B", 0)] * 90
            + [("c", "B", 1)] * 10 + [("c", "B", 0)] * 90)
    frame = pd.DataFrame(rows, columns=["group", "segment", "responded"]).replace(
        {"group": {"t": "target", "c": "control"}})
    frame.insert(0, "customer", range(len(frame)))
    readouts = {r.scope: r for r in read_out(frame)}
    assert readouts["segment A"].p_value == pytest.approx(0.020921, abs=1e-6)
    assert readouts["segment A"].verdict.startswith("The campaign worked: response rate +10.0")
    assert readouts["segment B"].verdict.startswith("No clear effect")
    assert readouts["overall"].n_target == 300
    frame.to_csv(tmp_path / "results.csv", index=False)
    result = cli("uplift", tmp_path / "results.csv")
    assert result.code == 0 and "The campaign worked" in result.out
    revenue = frame.assign(revenue=frame["responded"] * 25.0).drop(columns="responded")
    money = {r.scope: r for r in read_out(revenue)}["overall"]
    assert money.measure == "revenue per customer" and money.uplift == pytest.approx(
        revenue.query("group == 'target'")["revenue"].mean()
        - revenue.query("group == 'control'")["revenue"].mean())


def test_recommendations_on_groceries_are_never_much_worse_than_best_sellers():
    rates = evaluate_holdout(GROCERIES)
    assert rates["customers_evaluated"] > 3000
    assert rates["hit_rate_segments"] >= rates["hit_rate_best_sellers"] - 0.02


def test_recommendations_beat_best_sellers_on_planted_tastes(tmp_path):
    lines, _ = purchase_history(5000, seed=3)
    custseg.io.write_table(tmp_path / "h.csv", lines)
    rates = evaluate_holdout(tmp_path / "h.csv", k=5)
    assert rates["hit_rate_segments"] > 1.5 * rates["hit_rate_best_sellers"]


def test_recommend_cli_never_repeats_a_purchase(cli, groceries_run, tmp_path):
    _, out = groceries_run
    result = cli("recommend", "--segments", out, "--transactions", GROCERIES, "--top", "5",
                 "--out", tmp_path / "recs.csv")
    assert result.code == 0, result.err
    recs = pd.read_csv(tmp_path / "recs.csv")
    assert recs.groupby("Member_number").size().max() == 5
    bought = set(map(tuple, pd.read_csv(GROCERIES)[["Member_number", "itemDescription"]]
                     .to_numpy()))
    assert not any((m, p) in bought for m, p in recs[["Member_number", "product"]].to_numpy())
    assert recs["reason"].str.contains("of customers in your segment").all()


HOSTILE = ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "@SUM(1)", "-2+3", "\tTAB", "\rCR"]


def _cells(path):
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            yield from row


def test_no_csv_cell_a_spreadsheet_would_evaluate(cli, tmp_path):
    rng = np.random.default_rng(0)
    names = [HOSTILE[i % len(HOSTILE)] + f" {i}" for i in range(120)]
    table = pd.DataFrame({"Customer": names, "spend": rng.gamma(2, 50, 120),
                          "visits": rng.poisson(5, 120)})
    table.to_csv(tmp_path / "hostile.csv", index=False)
    assert cli("segment", tmp_path / "hostile.csv", "--id-col", "Customer", "--k", "3",
               "--out", tmp_path / "t", "-q").code == 0
    lines = pd.DataFrame({
        "customer_id": [names[i % 40].replace("\r", "") for i in range(400)],
        "order_date": pd.date_range("2024-01-01", periods=400, freq="D").astype(str),
        # no raw carriage return here: no CSV reader takes one unquoted inside a line
        "product": [HOSTILE[i % (len(HOSTILE) - 1)] for i in range(400)],
        "amount": rng.gamma(2, 10, 400).round(2)})
    lines.to_csv(tmp_path / "lines.csv", index=False)
    assert cli("segment", tmp_path / "lines.csv", "--transactions", "--k", "2", "--out",
               tmp_path / "h", "-q").code == 0
    assert cli("export", "--segments", tmp_path / "t", "--segment", "0", "--out",
               tmp_path / "list.csv").code == 0
    assert cli("recommend", "--segments", tmp_path / "h", "--transactions", tmp_path / "lines.csv",
               "--out", tmp_path / "recs.csv").code == 0
    assert cli("compare", tmp_path / "t" / "segments.csv", tmp_path / "t" / "segments.csv",
               "--out", tmp_path / "cmp").code == 0
    assert cli("score", "--model", tmp_path / "t" / "model.json", tmp_path / "hostile.csv",
               "--out", tmp_path / "scored.csv").code == 0
    written = [p for p in tmp_path.rglob("*.csv") if p.name not in {"hostile.csv", "lines.csv"}]
    assert len(written) >= 10
    for path in written:
        for cell in _cells(path):
            assert not cell.startswith(FORMULA_STARTS), (path.name, cell)
    listed = pd.read_csv(tmp_path / "list.csv")
    assert listed["Customer"].str.startswith("'").any()  # shown as text, not dropped
