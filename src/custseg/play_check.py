"""Plays checked against the RFM map (purchase histories): where a segment's play misfits many
of its own customers.

A K-means segment's play (``playbook``) is chosen from its average; the RFM map (``rfm``) names
each customer from their own recency and frequency. A "Lapsed" segment whose play says "stop paid
marketing" can still hold hundreds of customers the RFM map calls Loyal Customers: the average
hides them. When the customers whose RFM group calls for the opposite play make up at least
``CLASH_SHARE`` of a segment, the run says so next to the play, with the split, so that a
campaign list can leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .profile import SegmentProfile
from .rfm import RFM_NAMES
from .wording import spoken_list

# One customer in five: below that, a campaign's usual exclusions (recent buyers, opt-outs)
# already cover the misfits; from there, a list built on the segment would mail a large block of
# customers the wrong message.
CLASH_SHARE = 0.20

# RFM groups of customers who bought recently (R score 4-5, or 3 with F 4-5): they are active.
ACTIVE = ("Champions", "Loyal Customers", "Potential Loyalists", "New Customers", "Promising")
# RFM groups of customers who have not bought for a long time (R score 1-2): they are lapsing.
LAPSING = ("At Risk", "Can't Lose Them", "Hibernating", "Lost")

# Play rules (``playbook.RULES`` names) -> (the RFM groups that clash with it, what to do).
_STOPPED = "they have stopped buying, so give them the win-back message instead"
_CLASHES: dict[str, tuple[tuple[str, ...], str]] = {
    "win back valuable": (ACTIVE, "keep them out of the win-back list"),
    "win back": (ACTIVE, "keep them out of the win-back list and keep marketing to them"),
    "reward loyalty": (LAPSING, _STOPPED),
    "retain spenders": (LAPSING, _STOPPED),
    "onboard": (LAPSING, "they have not come back since, so a win-back message suits them "
                         "better"),
    "nurture recent": (LAPSING, _STOPPED),
}


def rule_name(profile: SegmentProfile) -> str:
    """The name of the rule that chose a segment's play ('win back: recency high' -> 'win back')."""
    return str(profile.extra["playbook"]["rule"]).split(":")[0]


def play_checks(profiles: Sequence[SegmentProfile], assignments: pd.DataFrame
                ) -> dict[int, dict[str, Any]]:
    """Segment id -> its clash with the RFM map, for segments where one is large enough:
    ``{"customers", "share", "rfm_groups": {group: customers}, "note"}``."""
    if "rfm_segment" not in assignments:
        return {}
    cross = pd.crosstab(assignments["segment"], assignments["rfm_segment"])
    checks: dict[int, dict[str, Any]] = {}
    for p in profiles:
        clash = _CLASHES.get(rule_name(p))
        if clash is None or p.id not in cross.index:
            continue
        groups, advice = clash
        row: dict[str, Any] = {str(k): v for k, v in cross.loc[p.id].items()}
        split = {name: int(row[name]) for name in RFM_NAMES
                 if name in groups and int(row.get(name, 0)) > 0}
        customers = sum(split.values())
        share = customers / p.size
        if share < CLASH_SHARE:
            continue
        parts = [f"{n:,} {name}" for name, n in split.items()]
        checks[p.id] = {
            "customers": customers, "share": round(share, 6), "rfm_groups": split,
            "note": (f"{customers:,} of them ({share:.0%}) are {spoken_list(parts)} by the RFM "
                     f"map: {advice}."),
        }
    return checks
