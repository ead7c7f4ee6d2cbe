"""The per-customer feature definitions, as SQL shared by every engine (DuckDB and Spark).

``customer_sql`` makes the per-customer aggregates (DuckDB, in its one pass over the lines; Spark
makes the same ``customer_aggregates`` in its own one grouping, ``engines/spark_columns.py``);
``final_sql`` turns them into the features.

Input: a view ``lines`` with one row per purchase line and the columns
``customer`` (text), ``day`` (date), ``order_key`` (text: the order id, or the day when there is
no order column), ``product`` (text or NULL), ``quantity`` (decimal or NULL), ``amount`` (decimal
or NULL when there is no money column) and ``is_return`` (boolean). Only lines with a customer id
dated on or before the as-of date reach this view.

Definitions (the README repeats them):
- recency_days: as-of date minus the customer's last purchase day (returns are not purchases;
  a customer with only returns counts from the last return).
- frequency: distinct orders among purchase lines (distinct purchase days without an order column).
- monetary: net spend, the sum of every line's amount; returns carry negative amounts, so they
  are netted.
- avg_order_value: gross spend on purchase lines divided by frequency (0 when frequency is 0).
- tenure_days: as-of date minus the first purchase day.
- mean_days_between_orders: (last - first purchase day) / (frequency - 1); for one-time buyers it
  is tenure_days, the time since their only purchase, a lower bound of their real gap.
- distinct_products: distinct products among purchase lines.
- total_items: net quantity (sum over every line); without a quantity column, purchase lines
  minus return lines (each line one item).
- return_share: returned amount / gross amount (lines instead of money without prices).
"""

from __future__ import annotations

import datetime as dt

MONEY_FEATURES = ["monetary", "avg_order_value"]


def _days_between(start: str, end: str) -> str:
    return f"date_diff('day', {start}, {end})"


def _as_double(expression: str) -> str:
    return f"CAST({expression} AS DOUBLE)"


def feature_names(money: bool, product: bool, returns: bool) -> list[str]:
    names = ["recency_days", "frequency"]
    if money:
        names += MONEY_FEATURES
    names += ["tenure_days", "mean_days_between_orders"]
    if product:
        names.append("distinct_products")
    names.append("total_items")
    if returns:
        names.append("return_share")
    return names


def customer_sql(lines: str, money: bool, product: bool, quantity: bool,
                 order_key: str) -> str:
    """One row per customer holding the aggregates that ``final_sql`` reads, from ``lines``: a
    relation with the columns of the view ``lines`` (module docstring), where ``order_key`` is
    the SQL for a line's order (the order id, or its day without one).

    The distinct orders and products are counted as distinct (customer, value) pairs, each
    grouping its own, and joined: DuckDB fills the three groupings side by side from one read
    of a common table expression (count(DISTINCT ...) in the grouping by customer was slower).
    Spark counts them as the sizes of sets collected in its one grouping by customer instead
    (three aggregations read and parsed the lines three times). Only the aggregates the flags
    need are made. ``FILTER (WHERE ...)`` is spelled alike by both engines.

    The pairs hold the 64-bit hash of the order or product, not its text: ten million pairs
    hashed, compared and spilled as numbers cost about a third less than as text. Two of one
    customer's orders (or products) with the same hash would count as one; the odds are about
    1e-12 for a million customers with dozens of each, as for the exact duplicates
    (``line_sql.quality_sql``).
    """
    out = customer_aggregates(money, quantity)
    joins = [f"""
        LEFT JOIN (SELECT customer, count(*) AS frequency
                   FROM (SELECT DISTINCT customer, hash({order_key}) FROM {lines}
                         WHERE NOT is_return)
                   GROUP BY customer) orders USING (customer)"""]
    select = ["per_customer.*", "coalesce(frequency, 0) AS frequency"]
    if money:
        select.append(NET_AMOUNT)
    if product:
        joins.append(f"""
        LEFT JOIN (SELECT customer, count(*) AS distinct_products
                   FROM (SELECT DISTINCT customer, hash(product) FROM {lines}
                         WHERE NOT is_return AND product IS NOT NULL)
                   GROUP BY customer) products USING (customer)""")
        select.append("coalesce(distinct_products, 0) AS distinct_products")
    return (f"SELECT {', '.join(select)}\n"
            f"        FROM (SELECT customer, {', '.join(out)} FROM {lines} GROUP BY customer) "
            f"per_customer{''.join(joins)}")


def customer_aggregates(money: bool, quantity: bool) -> list[str]:
    """The aggregates of ``customer_sql`` other than the distinct counts (``frequency``,
    ``distinct_products``), over one customer's lines: shared with the Spark engine, which
    counts the distinct values in the same grouping (``engines/spark_columns.py``). A line
    whose ``is_return`` and ``quantity`` are NULL counts in none of them (only ``day`` is
    read unfiltered, and it is NULL for such lines in Spark)."""
    out = ["max(day) FILTER (WHERE NOT is_return) AS last_buy", "max(day) AS last_any",
           "min(day) FILTER (WHERE NOT is_return) AS first_buy", "min(day) AS first_any"]
    if money:
        # Net spend is gross spend less returns, exactly (DECIMAL): one sum fewer per line.
        out += ["sum(amount) FILTER (WHERE NOT is_return) AS gross_amount",
                "sum(-amount) FILTER (WHERE is_return) AS returned_amount"]
    if quantity:
        out.append("sum(quantity) AS net_quantity")
    if not (money and quantity):  # total_items, or return_share without money
        out += ["count(*) FILTER (WHERE NOT is_return) AS purchase_lines",
                "count(*) FILTER (WHERE is_return) AS return_lines"]
    return out


NET_AMOUNT = "coalesce(gross_amount, 0) - coalesce(returned_amount, 0) AS net_amount"


def final_sql(as_of: dt.date, money: bool, product: bool, quantity: bool, returns: bool,
              source: str) -> str:
    """The features of each customer as of ``as_of`` from ``source``, a relation with one row
    per customer holding the aggregates of ``customer_sql`` (in no order: ``finish_features``
    sorts). DuckDB SQL: the Spark engine finishes its features in DuckDB too."""
    day = f"DATE '{as_of.isoformat()}'"
    last = "coalesce(last_buy, last_any)"
    first = "coalesce(first_buy, first_any)"
    tenure = _days_between(first, day)
    columns = [
        "customer",
        f"{_days_between(last, day)} AS recency_days",
        "frequency",
    ]
    if money:
        columns += [
            f"{_as_double('coalesce(net_amount, 0)')} AS monetary",
            f"CASE WHEN frequency > 0 THEN {_as_double('coalesce(gross_amount, 0)')} / frequency "
            "ELSE 0 END AS avg_order_value",
        ]
    columns += [
        f"{tenure} AS tenure_days",
        f"CASE WHEN frequency > 1 THEN {_as_double(_days_between('first_buy', 'last_buy'))} "
        f"/ (frequency - 1) ELSE {_as_double(tenure)} END AS mean_days_between_orders",
    ]
    if product:
        columns.append("distinct_products")
    if quantity:
        columns.append(f"{_as_double('coalesce(net_quantity, 0)')} AS total_items")
    else:
        columns.append(f"{_as_double('purchase_lines - return_lines')} AS total_items")
    if returns:
        if money:
            columns.append(
                "CASE WHEN coalesce(gross_amount, 0) > 0 THEN "
                f"{_as_double('coalesce(returned_amount, 0)')} / "
                f"{_as_double('gross_amount')} ELSE 0 END AS return_share")
        else:
            columns.append("CASE WHEN purchase_lines > 0 THEN "
                           f"{_as_double('return_lines')} / purchase_lines ELSE 0 END "
                           "AS return_share")
    select = ",\n          ".join(columns)
    return f"SELECT {select}\nFROM {source}"
