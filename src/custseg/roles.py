"""What a feature means: its role (recency, spend, income...), and the words that say so.

A role is read from the column name by word-level rules (one table, ``_PHRASES``), or given by
the user (``--role COLUMN=ROLE``, ``roles={...}``). Names, descriptions (``profile``) and campaign
plays (``playbook``) read roles, never column names, so ``days_since_last_purchase`` is recency
however many purchase words it holds. docs/roles.md has the vocabulary and the rules.

A segment's feature is "high" when its mean sits at least ``NOTABLE_Z`` standard deviations above
all customers, "very high" from ``STRONG_Z``, "average" within ``NOTABLE_Z``; names and plays use
the same bands.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConfigError, DataError
from .schema import resolve_name

NOTABLE_Z = 0.5
STRONG_Z = 1.5

ROLES: dict[str, str] = {
    "recency": "time since the last purchase, order or visit; lower is better (more recent)",
    "frequency": "how often they buy: orders, purchases, store visits, items bought; "
                 "higher is better",
    "interval": "time between orders, the inverse of frequency; lower is better",
    "monetary": "money spent: spend, revenue, sales, amount, lifetime value, spending score; "
                "higher is better",
    "order_value": "value of one order: average order value, basket size; higher is better",
    "tenure": "how long they have been a customer; higher is longer-standing",
    "breadth": "how many distinct products or categories they buy; higher is wider",
    "returns": "returns and refunds; lower is better",
    "capacity": "what they can spend: income, salary, wealth; higher is more",
    "age": "the customer's age in years; neither direction is better",
    "engagement": "engagement outside purchases: scores, web sessions, minutes, clicks, opens; "
                  "higher is more engaged",
    "other": "anything else (ids, codes, locations, unrecognised names); no direction",
}

# Word-level rules: (phrase, role). A phrase matches whole tokens in a row, so "age" never
# matches "average" or "usage". The longest matching phrase wins (the most specific reading);
# among phrases of the same length the one listed first wins.
_PHRASES: tuple[tuple[str, str], ...] = (
    # A money figure of the last order is an order value, not a recency.
    ("last purchase amount", "order_value"), ("last order amount", "order_value"),
    ("last order value", "order_value"),
    # Tenure before recency: "days since first purchase" counts from the first purchase.
    ("since first", "tenure"), ("since signup", "tenure"), ("since joining", "tenure"),
    ("since registration", "tenure"), ("first purchase", "tenure"), ("first order", "tenure"),
    ("customer since", "tenure"), ("member since", "tenure"), ("days as customer", "tenure"),
    ("months as customer", "tenure"), ("years as customer", "tenure"),
    ("months active", "tenure"), ("account age", "tenure"), ("tenure", "tenure"),
    ("membership", "tenure"),
    # Recency outranks every spend and purchase word in the same name.
    ("days since last", "recency"), ("since last", "recency"), ("last order", "recency"),
    ("last purchase", "recency"), ("last visit", "recency"), ("last transaction", "recency"),
    ("last seen", "recency"), ("last active", "recency"), ("days inactive", "recency"),
    ("days since", "recency"), ("recency", "recency"),
    # Gaps between orders are an inverse frequency.
    ("between orders", "interval"), ("between purchases", "interval"),
    ("between visits", "interval"), ("purchase interval", "interval"),
    ("order interval", "interval"), ("interpurchase", "interval"), ("order gap", "interval"),
    # Site visits are engagement; store visits (and plain "visits") are frequency.
    ("web visits", "engagement"), ("site visits", "engagement"),
    ("website visits", "engagement"), ("app visits", "engagement"),
    ("visits to site", "engagement"), ("page views", "engagement"),
    ("pageviews", "engagement"), ("time on site", "engagement"),
    # The value of one order.
    ("average order value", "order_value"), ("avg order value", "order_value"),
    ("spend per order", "order_value"), ("revenue per order", "order_value"),
    ("per order", "order_value"), ("order value", "order_value"), ("aov", "order_value"),
    ("basket size", "order_value"), ("basket value", "order_value"),
    ("average basket", "order_value"), ("avg basket", "order_value"),
    ("basket count", "frequency"), ("basket", "order_value"), ("ticket size", "order_value"),
    # Breadth: how many kinds, not how many.
    ("distinct products", "breadth"), ("distinct categories", "breadth"),
    ("distinct items", "breadth"), ("unique products", "breadth"),
    ("unique items", "breadth"), ("products", "breadth"), ("categories", "breadth"),
    ("skus", "breadth"), ("brands", "breadth"), ("departments", "breadth"),
    # Returns.
    ("return share", "returns"), ("return rate", "returns"), ("returns", "returns"),
    ("returned", "returns"), ("refunds", "returns"), ("refund", "returns"),
    # The Mall table's "Spending Score (1-100)" measures spending: it reads as spend.
    ("spending score", "monetary"), ("spend score", "monetary"),
    ("credit score", "capacity"), ("credit limit", "capacity"), ("net worth", "capacity"),
    # Frequency: counts of orders, purchases and store visits, and the volume bought.
    ("order count", "frequency"), ("purchase count", "frequency"),
    ("transaction count", "frequency"), ("store visits", "frequency"),
    ("orders", "frequency"), ("purchases", "frequency"), ("transactions", "frequency"),
    ("invoices", "frequency"), ("frequency", "frequency"), ("visits", "frequency"),
    ("trips", "frequency"), ("baskets", "frequency"), ("items", "frequency"),
    ("units", "frequency"), ("quantity", "frequency"),
    # Money spent.
    ("lifetime value", "monetary"), ("total value", "monetary"), ("spend", "monetary"),
    ("spending", "monetary"), ("spent", "monetary"), ("revenue", "monetary"),
    ("sales", "monetary"), ("monetary", "monetary"), ("amount", "monetary"),
    ("clv", "monetary"), ("ltv", "monetary"), ("gmv", "monetary"), ("turnover", "monetary"),
    ("value", "monetary"),
    # What they can spend.
    ("income", "capacity"), ("salary", "capacity"), ("wage", "capacity"),
    ("wages", "capacity"), ("wealth", "capacity"), ("earnings", "capacity"),
    # Age, the whole word only.
    ("age", "age"),
    # Engagement outside purchases.
    ("engagement", "engagement"), ("score", "engagement"), ("sessions", "engagement"),
    ("minutes", "engagement"), ("clicks", "engagement"), ("opens", "engagement"),
    ("logins", "engagement"), ("usage", "engagement"), ("nps", "engagement"),
    ("satisfaction", "engagement"),
)
# A name ending in one of these labels something (store_id, region_code): it measures nothing.
_LABEL_WORDS = {"id", "code", "key", "uuid"}

# The words a name uses per role at each level: (very high, high, low, very low, noun for
# "average ..."). Roles not listed read "high <noun>" with the column's own noun.
ROLE_WORDS: dict[str, tuple[str, str, str, str, str]] = {
    "recency": ("long lapsed", "lapsed", "recent", "very recent", "recency"),
    "frequency": ("very frequent", "frequent", "infrequent", "very infrequent", "frequency"),
    "interval": ("very long gaps between orders", "long gaps between orders",
                 "short gaps between orders", "very short gaps between orders",
                 "gaps between orders"),
    "order_value": ("very big baskets", "big baskets", "small baskets", "very small baskets",
                    "basket size"),
    "tenure": ("long-standing", "long-standing", "newer", "new", "tenure"),
    "breadth": ("very wide range", "wide range", "narrow range", "very narrow range",
                "product range"),
    "returns": ("very many returns", "many returns", "few returns", "very few returns",
                "returns"),
    "age": ("much older", "older", "younger", "much younger", "age"),
}

# Nouns for the features custseg computes from purchase histories (features/feature_sql.py).
_HISTORY_NOUNS = {
    "recency_days": "days since last purchase", "frequency": "number of orders",
    "monetary": "spend", "avg_order_value": "order value", "tenure_days": "days as a customer",
    "mean_days_between_orders": "days between orders", "distinct_products": "distinct products",
    "total_items": "number of items", "return_share": "share returned",
}
_DROP_WORDS = {"annual", "total", "score", "k$", "usd", "eur", "gbp"}


@dataclass
class FeatureProfile:
    """One feature of one segment: its figures, its z-score against all customers, its role."""

    feature: str
    kind: str
    mean: float | None = None
    median: float | None = None
    overall_mean: float | None = None
    z: float = 0.0
    level: str | None = None        # categorical: the level that sets the segment apart most
    share: float | None = None      # categorical: share of that level in the segment
    overall_share: float | None = None
    role: str = "other"


def tokens(column: str) -> tuple[str, ...]:
    """The lower-case words of a column name: 'DaysSinceLastOrder' -> days, since, last, order."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", column)
    return tuple(word.lower() for word in re.findall(r"[A-Za-z]+|[0-9]+", spaced))


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[i:i + size] == phrase for i in range(len(words) - size + 1))


# Longest first; sorted() is stable, so equally long phrases keep their table order.
_BY_SPECIFICITY = sorted(((tuple(p.split()), role) for p, role in _PHRASES),
                         key=lambda rule: -len(rule[0]))


@functools.lru_cache(maxsize=1024)
def detect_role(column: str) -> str:
    """The role a column name says (``ROLES``), by the most specific matching phrase."""
    words = tokens(column)
    if words and words[-1] in _LABEL_WORDS:
        return "other"
    for phrase, role in _BY_SPECIFICITY:
        if _contains(words, phrase):
            return role
    return "other"


def check_role(role: str, column: str) -> str:
    """``role`` spelled the vocabulary's way ('Order-Value' -> 'order_value'), or ConfigError."""
    name = re.sub(r"[\s\-]+", "_", role.strip().lower())
    if name not in ROLES:
        raise ConfigError(f"unknown role '{role}' for column '{column}'; valid roles are: "
                          f"{', '.join(ROLES)}")
    return name


def resolve_roles(features: list[str],
                  overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every feature's role: detected from its name, unless ``overrides`` names it.

    Override keys match features case-insensitively, ignoring punctuation and spaces.
    """
    roles = {feature: detect_role(feature) for feature in features}
    for column, role in (overrides or {}).items():
        roles[_feature_named(column, features)] = check_role(role, column)
    return roles


def _feature_named(column: str, features: list[str]) -> str:
    try:
        return resolve_name(features, column, "--role")
    except DataError:
        shown = ", ".join(f"'{f}'" for f in features)
        raise DataError(f"--role names column '{column}', which is not a feature; the features "
                        f"are: {shown}") from None


def parse_role_options(items: list[str]) -> dict[str, str]:
    """``--role COLUMN=ROLE`` options as {column: role}; a later option for a column wins."""
    roles: dict[str, str] = {}
    for item in items:
        column, sep, role = item.rpartition("=")
        if not sep or not column.strip() or not role.strip():
            raise ConfigError(f"--role needs COLUMN=ROLE, e.g. --role visits_90d=engagement; "
                              f"got '{item}'")
        roles[column.strip()] = check_role(role, column.strip())
    return roles


def friendly(column: str) -> str:
    """A short noun for a column: 'Annual Income (k$)' -> 'income'."""
    if column in _HISTORY_NOUNS:
        return _HISTORY_NOUNS[column]
    text = re.sub(r"\(.*?\)", " ", column)
    text = re.sub(r"[_\-]+", " ", text).lower()
    words = [w for w in text.split() if w not in _DROP_WORDS]
    return " ".join(words) or column.lower()


def level_word(z: float) -> str:
    if z >= STRONG_Z:
        return "very high"
    if z >= NOTABLE_Z:
        return "high"
    if z <= -STRONG_Z:
        return "very low"
    if z <= -NOTABLE_Z:
        return "low"
    return "average"


def term(profile: FeatureProfile) -> str:
    """The words a name uses for one feature of one segment."""
    if profile.kind == "categorical":
        if profile.z <= -NOTABLE_Z:
            return f"few {profile.level}"
        return f"{profile.level}" if (profile.share or 0.0) >= 0.95 else f"mostly {profile.level}"
    word = level_word(profile.z)
    if profile.role not in ROLE_WORDS:
        return f"{word} {friendly(profile.feature)}"
    very_high, high, low, very_low, noun = ROLE_WORDS[profile.role]
    return {"very high": very_high, "high": high, "low": low, "very low": very_low,
            "average": f"average {noun}"}[word]
