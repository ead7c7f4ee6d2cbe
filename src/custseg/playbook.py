"""The campaign playbook: for each segment a goal and concrete actions, by documented rules.

A segment is read through its features' roles (``roles``), never their column names. The evidence
for a role is the mean z-score, against all customers, of the segment's numeric features with that
role: recency, frequency, tenure, capacity (income) and age as they are; spend is the ``monetary``
features, or the ``order_value`` ones when the table has no monetary feature; frequency falls back
to the ``interval`` features, sign flipped, when there is no frequency feature. "High" means
z >= ``NOTABLE_Z``, "low" z <= -``NOTABLE_Z`` (the bands of the names). Engagement and ``other``
features never fire a rule; age only picks a channel. Rules are tried in order; the first whose
condition holds fires, and the playbook records which one. docs/roles.md has the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .roles import NOTABLE_Z, FeatureProfile, term

Evidence = dict[str, float | None]  # spend, capacity, recency, frequency, tenure, age -> mean z


def _high(z: float | None) -> bool:
    return z is not None and z >= NOTABLE_Z


def _low(z: float | None) -> bool:
    return z is not None and z <= -NOTABLE_Z


@dataclass(frozen=True)
class Rule:
    name: str
    condition: str
    test: Callable[[Evidence], bool]
    goal: str
    actions: tuple[str, ...]


RULES = [
    # Purchase histories (RFM style)
    Rule("win back valuable", "recency high and frequency or spend high",
         lambda r: _high(r["recency"]) and (_high(r["frequency"]) or _high(r["spend"])),
         "win back", ("Personal outreach with a strong comeback offer before they are gone "
                      "for good.", "Ask what changed: a one-question survey with the offer.",
                      "A three-step reactivation sequence over three weeks; stop on purchase.")),
    Rule("win back", "recency high",
         lambda r: _high(r["recency"]), "win back (low cost)",
         ("One reactivation message with an incentive.",
          "Stop paid marketing for those who do not respond within a month.")),
    Rule("onboard", "tenure low",
         lambda r: _low(r["tenure"]), "activate new customers",
         ("A welcome series over their first month.",
          "A second-purchase incentive valid for 30 days.",
          "Recommend the best sellers of the categories they started with.")),
    Rule("reward loyalty", "frequency high",
         lambda r: _high(r["frequency"]), "retain",
         ("VIP perks and early access to new lines; no blanket discounts.",
          "Invite them to refer friends.",
          "Personal recommendations of products their segment buys that they have not tried.")),
    Rule("activate", "frequency low and spend not high",
         lambda r: _low(r["frequency"]) and not _high(r["spend"]), "activate",
         ("A time-limited incentive to come back within two weeks.",
          "Reminders of products they have not tried, chosen from their segment's favourites.")),
    Rule("nurture recent", "recency low, no spend or capacity feature",
         lambda r: _low(r["recency"]) and r["spend"] is None and r["capacity"] is None,
         "grow", ("Recommend next purchases while they are engaged.",
                  "Invite them to the loyalty programme.")),
    # Customer tables (income / spending style)
    Rule("VIP", "spend high and capacity high",
         lambda r: _high(r["spend"]) and _high(r["capacity"]), "retain",
         ("A VIP tier with early access to new lines and personal service.",
          "Avoid blanket discounts they do not need.",
          "Premium bundles and exclusive events.")),
    Rule("share of wallet", "spend low and capacity high",
         lambda r: _low(r["spend"]) and _high(r["capacity"]), "grow share of wallet",
         ("Showcase premium ranges with personalised offers.",
          "Find out what they buy elsewhere (survey with an incentive).")),
    Rule("loyal on a budget", "spend high and capacity low",
         lambda r: _high(r["spend"]) and _low(r["capacity"]), "retain",
         ("Loyalty points, bundles and affordable promotions.",
          "Avoid pushing credit or premium upsells.")),
    Rule("price-led", "spend low and capacity low",
         lambda r: _low(r["spend"]) and _low(r["capacity"]), "serve efficiently",
         ("Value ranges and multi-buy deals.",
          "Low-cost channels; keep the marketing spend per customer small.")),
    Rule("retain spenders", "spend high",
         lambda r: _high(r["spend"]), "retain",
         ("Thank-you offers and loyalty rewards.", "Early access to keep them spending.")),
    Rule("activate low spenders", "spend low",
         lambda r: _low(r["spend"]), "activate",
         ("A time-limited incentive.", "Reminders of what they have not tried yet.")),
    Rule("premium potential", "capacity high, no spend feature",
         lambda r: _high(r["capacity"]) and r["spend"] is None, "grow",
         ("Showcase premium ranges and new lines with personalised offers.",
          "Test one premium offer against a control group before investing more.")),
    Rule("broad", "spend or capacity known, no rule above fired",
         lambda r: r["spend"] is not None or r["capacity"] is not None, "nurture",
         ("Broad campaigns with cross-sell suggestions.",
          "Test offers that move them into a higher-value segment.")),
    Rule("steady", "recency or frequency known, no rule above fired",
         lambda r: r["recency"] is not None or r["frequency"] is not None, "nurture",
         ("A regular newsletter featuring what their segment buys most.",
          "Cross-sell offers to raise basket size.")),
]


@dataclass
class Play:
    goal: str
    actions: list[str]
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evidence(items: list[FeatureProfile]) -> Evidence:
    """The mean z-score per role the rules read; None where the segment has no such feature."""

    def mean_z(role: str) -> float | None:
        values = [f.z for f in items if f.kind == "numeric" and f.role == role]
        return float(np.mean(values)) if values else None

    found: Evidence = {role: mean_z(role) for role in
                       ("capacity", "age", "recency", "frequency", "tenure")}
    # Total spend is what the spend rules mean; a basket value stands in only without it.
    monetary = mean_z("monetary")
    found["spend"] = monetary if monetary is not None else mean_z("order_value")
    if found["frequency"] is None:
        interval = mean_z("interval")  # long gaps between orders = infrequent
        found["frequency"] = None if interval is None else -interval
    return found


def play_for(items: list[FeatureProfile]) -> Play:
    """The first rule that fires for a segment, with its goal and actions."""
    found = evidence(items)
    for rule in RULES:
        if rule.test(found):
            play = Play(rule.goal, list(rule.actions), f"{rule.name}: {rule.condition}")
            break
    else:
        # No feature at all when every one barely varies (spread.quiet_features).
        apart = (f" ({term(max(items, key=lambda f: abs(f.z)))})" if items else "")
        play = Play("test and learn", [
            f"Build the message around what sets them apart{apart}.",
            "Test it against a control group (custseg export --holdout)."],
            "fallback: no role the rules read (monetary, order_value, capacity, recency, "
            "frequency, interval, tenure)")
    if _high(found["age"]) or _low(found["age"]):
        play.actions.append("Reach them through email and in-store service." if _high(found["age"])
                            else "Reach them through mobile and social channels.")
    return play
