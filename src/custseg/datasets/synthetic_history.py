"""Synthetic purchase histories with planted behaviour groups, deterministic for a seed.

Each customer belongs to one group that sets how many orders they place, over which part of the
two-year period, how many lines an order has and how pricey the products they pick are. Some
lines are returned (invoice "C" + order number, negative quantity) and some orders are placed by
guests without a customer id, as in real exports. Averages about ten lines per customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

START = dt.date(2024, 1, 1)
DAYS = 730
CATEGORIES = ["bakery", "dairy", "produce", "meat", "drinks", "snacks", "household", "beauty",
              "baby", "pets", "frozen", "deli"]
RETURN_RATE = 0.02
GUEST_SHARE = 0.015


@dataclass(frozen=True)
class Group:
    name: str
    share: float
    orders: float        # mean orders per customer (at least min_orders)
    lines: float         # mean lines per order
    first_day: int       # active window within the period
    last_day: int
    price_taste: tuple[float, float]  # Beta parameters over the price rank of the catalogue
    min_orders: int = 1


GROUPS = [
    Group("loyal high spenders", 0.15, 12.0, 2.5, 0, DAYS - 1, (4.0, 1.2), 4),
    Group("regulars", 0.30, 8.0, 1.6, 0, DAYS - 1, (2.0, 2.0), 4),
    Group("occasional bargain hunters", 0.25, 2.5, 1.3, 0, DAYS - 1, (1.0, 8.0), 2),
    Group("lapsed", 0.15, 4.5, 1.8, 0, 240, (2.0, 2.0), 2),
    Group("new", 0.15, 1.5, 1.8, DAYS - 60, DAYS - 1, (2.0, 2.0)),
]


def _catalogue(rng: np.random.Generator, size: int = 300) -> pd.DataFrame:
    prices = np.sort(np.round(rng.lognormal(1.2, 0.8, size), 2).clip(0.25, None))
    category = rng.integers(0, len(CATEGORIES), size)
    return pd.DataFrame({
        "StockCode": [f"P{i:04d}" for i in range(size)],
        "Description": [f"{CATEGORIES[c]} item {i:03d}" for i, c in enumerate(category)],
        "UnitPrice": prices,
    })


def purchase_history(customers: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lines, truth): an Online-Retail-like purchase history and each customer's group."""
    rng = np.random.default_rng(seed)
    products = _catalogue(rng)
    shares = np.array([g.share for g in GROUPS])
    group_of = rng.choice(len(GROUPS), size=customers, p=shares / shares.sum())
    ids = np.arange(10_001, 10_001 + customers)
    orders_mean = np.array([g.orders for g in GROUPS])[group_of]
    min_orders = np.array([g.min_orders for g in GROUPS])[group_of]
    n_orders = min_orders + rng.poisson(orders_mean - min_orders)
    order_customer = np.repeat(np.arange(customers), n_orders)
    order_group = group_of[order_customer]
    first = np.array([g.first_day for g in GROUPS])[order_group]
    last = np.array([g.last_day for g in GROUPS])[order_group]
    order_day = first + (rng.random(len(order_customer)) * (last - first + 1)).astype(int)
    order_minute = rng.integers(8 * 60, 20 * 60, len(order_customer))
    lines_mean = np.array([g.lines for g in GROUPS])[order_group]
    n_lines = 1 + rng.poisson(lines_mean - 1)
    line_order = np.repeat(np.arange(len(order_customer)), n_lines)
    line_group = order_group[line_order]
    taste_a = np.array([g.price_taste[0] for g in GROUPS])[line_group]
    taste_b = np.array([g.price_taste[1] for g in GROUPS])[line_group]
    product = np.minimum((rng.beta(taste_a, taste_b) * len(products)).astype(int),
                         len(products) - 1)
    quantity = 1 + rng.poisson(0.6, len(line_order))
    # guests: whole orders without a customer id
    guest_order = rng.random(len(order_customer)) < GUEST_SHARE
    customer = np.where(guest_order[line_order], -1, ids[order_customer[line_order]])
    invoice = 500_000 + line_order
    timestamps = (np.datetime64(START.isoformat(), "m")
                  + (order_day[line_order] * 1440 + order_minute[line_order]).astype(
                      "timedelta64[m]"))
    lines = pd.DataFrame({"InvoiceNo": invoice.astype(str), "StockCode": product,
                          "Quantity": quantity, "InvoiceDate": timestamps,
                          "CustomerID": customer})
    returned = rng.random(len(lines)) < RETURN_RATE
    back = lines[returned].copy()
    back["InvoiceNo"] = "C" + back["InvoiceNo"]
    back["Quantity"] = -back["Quantity"]
    delay = rng.integers(1, 21, len(back)).astype("timedelta64[D]")
    end = np.datetime64(START.isoformat(), "m") + np.timedelta64(DAYS * 1440 - 1, "m")
    back["InvoiceDate"] = np.minimum(back["InvoiceDate"].to_numpy() + delay, end)
    lines = pd.concat([lines, back], ignore_index=True)
    lines = lines.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable", ignore_index=True)
    lines["InvoiceDate"] = lines["InvoiceDate"].astype("datetime64[s]")
    catalogue = products.iloc[lines["StockCode"].to_numpy()]
    lines["StockCode"] = catalogue["StockCode"].to_numpy()
    lines.insert(2, "Description", catalogue["Description"].to_numpy())
    lines.insert(5, "UnitPrice", catalogue["UnitPrice"].to_numpy())
    lines["CustomerID"] = lines["CustomerID"].where(lines["CustomerID"] >= 0).astype("Int64")
    truth = pd.DataFrame({"CustomerID": ids,
                          "group": np.array([g.name for g in GROUPS])[group_of]})
    return lines, truth
