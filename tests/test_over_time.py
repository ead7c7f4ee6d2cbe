"""Stable segments over time: --align-to keeps ids and names; compare shows who moved."""

from __future__ import annotations

import pandas as pd
import pytest

import custseg
from custseg.compare import LEFT, NEW_CUSTOMER, compare

from .test_history import GROCERIES


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("first")
    custseg.segment(seed=0).save(out)
    return out


@pytest.mark.parametrize("seed", [1, 42])
def test_refit_with_another_seed_keeps_every_id_and_name(cli, first_run, tmp_path, seed):
    result = cli("segment", "--seed", seed, "--align-to", first_run / "model.json", "--out",
                 tmp_path / "again", "-q")
    assert result.code == 0, result.err
    before = pd.read_csv(first_run / "segments.csv")
    after = pd.read_csv(tmp_path / "again" / "segments.csv")
    assert after["segment"].tolist() == before["segment"].tolist()
    assert after["segment_name"].tolist() == before["segment_name"].tolist()


def test_changed_customers_report_new_and_vanished_segments(first_run):
    younger = custseg.load_sample().query("Age < 50")
    result = custseg.segment(younger, align_to=first_run / "model.json")
    alignment = result.summary["alignment"]
    old_names = dict(enumerate(custseg.load_model(first_run / "model.json").segment_names_))
    for pair in alignment["matched"]:
        assert result.profiles[pair["new_id"]].name == old_names[pair["old_id"]]
        assert pair["distance"] <= alignment["match_distance"]
    assert {v["name"] for v in alignment["vanished"]} >= {"Older"}
    assert alignment["new"] and any("is new" in w for w in result.warnings)
    assert len({p.name for p in result.profiles}) == len(result.profiles)


def test_align_to_needs_the_same_features(first_run):
    with pytest.raises(custseg.DataError, match="align only runs on the same features"):
        custseg.segment(features=["Age", "Annual Income (k$)"], align_to=first_run / "model.json")


def test_compare_a_run_with_itself_is_the_identity(cli, first_run, tmp_path):
    result = cli("compare", first_run / "segments.csv", first_run / "segments.csv", "--out",
                 tmp_path / "cmp")
    assert result.code == 0
    assert "200 customers: 200 stayed, 0 moved, 0 new, 0 left" in result.out
    shares = pd.read_csv(tmp_path / "cmp" / "migration_shares.csv", index_col=0)
    k = len(shares) - 1
    identity = pd.DataFrame(0.0, index=shares.index, columns=shares.columns)
    for i in range(k):
        identity.iat[i, i] = 1.0
    pd.testing.assert_frame_equal(shares, identity, check_dtype=False)
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert 'id="chart-migration"' in page


def test_compare_counts_moves_new_and_left(tmp_path):
    old = pd.DataFrame({"id": [1, 2, 3, 4], "segment": [0, 0, 1, 1],
                        "segment_name": ["A", "A", "B", "B"]})
    new = pd.DataFrame({"id": [1, 2, 3, 5], "segment": [0, 1, 1, 0],
                        "segment_name": ["A", "B", "B", "A"]})
    old.to_csv(tmp_path / "old.csv", index=False)
    new.to_csv(tmp_path / "new.csv", index=False)
    comparison = compare(tmp_path / "old.csv", tmp_path / "new.csv")
    assert comparison.totals == {"stayed": 2, "moved": 1, "new": 1, "left": 1}
    assert comparison.counts.loc["0: A", "1: B"] == 1
    assert comparison.counts.loc["1: B", LEFT] == 1
    assert comparison.counts.loc[NEW_CUSTOMER, "0: A"] == 1
    assert comparison.shares.loc["0: A"].tolist() == [0.5, 0.5, 0.0]
    assert comparison.moves.set_index("id").loc["2", "status"] == "moved"  # ids are text


def test_two_as_of_snapshots_of_one_history(cli, tmp_path):
    """A snapshot, then the whole history aligned to it: every segment keeps its id and name.

    The snapshot is at the end of November: June to December on this history matches no
    segment at all (all come out new and vanished), which would show nothing about keeping ids.
    A run without --align-to numbers and names the same segments otherwise, so each check below
    fails if --align-to is ignored.
    """
    import json

    history = [GROCERIES, "--transactions", "--k", "3", "--stability-runs", "0", "-q"]
    first = cli("segment", *history, "--as-of", "2015-11-30", "--out", tmp_path / "november")
    assert first.code == 0, first.err
    second = cli("segment", *history, "--align-to", tmp_path / "november" / "model.json",
                 "--out", tmp_path / "december")
    assert second.code == 0, second.err
    plain = cli("segment", *history, "--out", tmp_path / "plain")
    assert plain.code == 0, plain.err

    def names(run: str) -> dict[int, str]:
        summary = json.loads((tmp_path / run / "summary.json").read_text())
        return {s["id"]: s["name"] for s in summary["segments"]}

    old, new, unaligned = names("november"), names("december"), names("plain")
    summary = json.loads((tmp_path / "december" / "summary.json").read_text())
    assert "alignment" in summary, "--align-to left no alignment block in summary.json"
    alignment = summary["alignment"]
    assert alignment["new"] == [] and alignment["vanished"] == []
    assert sorted(m["old_id"] for m in alignment["matched"]) == [0, 1, 2]
    for pair in alignment["matched"]:
        assert pair["distance"] <= alignment["match_distance"]
        assert pair["new_id"] == pair["old_id"]
        assert new[pair["new_id"]] == old[pair["old_id"]] == pair["name"]
    assert new == old  # every segment keeps November's id and name
    assert unaligned != old  # ...which the same data without --align-to does not give
    assert "alignment" not in json.loads((tmp_path / "plain" / "summary.json").read_text())
    assert not any("is new" in line or "no counterpart" in line for line in
                   second.err.splitlines())

    # Alignment renumbers and renames; it does not refit: the same customers group together.
    aligned = pd.read_csv(tmp_path / "december" / "segments.csv")
    refit = pd.read_csv(tmp_path / "plain" / "segments.csv")
    pairs = pd.crosstab(refit["segment"], aligned["segment"]) > 0
    assert (pairs.sum(axis=0) == 1).all() and (pairs.sum(axis=1) == 1).all()
    assert (refit["segment"] != aligned["segment"]).any(), "ids are the refit's own numbering"
    assert dict(zip(aligned["segment"], aligned["segment_name"], strict=True)) == old
    model = json.loads((tmp_path / "december" / "model.json").read_text())
    assert [s["name"] for s in model["segments"]] == [old[i] for i in range(3)]

    # compare: most customers stay in their segment, which only the aligned ids show.
    result = cli("compare", tmp_path / "november" / "segments.csv",
                 tmp_path / "december" / "segments.csv", "--out", tmp_path / "cmp")
    assert result.code == 0, result.err
    moves = pd.read_csv(tmp_path / "cmp" / "moves.csv")
    status = moves["status"].value_counts()
    assert set(status.index) <= {"stayed", "moved", "new"}
    assert status["new"] > 0  # customers whose first purchase is after November
    assert status["stayed"] > 4 * status["moved"]
    result = cli("compare", tmp_path / "november" / "segments.csv",
                 tmp_path / "plain" / "segments.csv", "--out", tmp_path / "cmp-plain")
    assert result.code == 0, result.err
    unaligned_moves = pd.read_csv(tmp_path / "cmp-plain" / "moves.csv")["status"]
    assert (unaligned_moves == "stayed").sum() < status["stayed"]
