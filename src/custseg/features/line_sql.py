"""The SQL that reads every purchase line once: each line parsed (``lines_sql``) and, over the
same lines, the quality block's counts (``quality_sql``, in the order of ``QUALITY_COUNTS``).

``transactions`` runs both in one statement with the customers' aggregates; the cells are read
by the rules of ``line_checks`` and the dates by the reading ``dates`` decided.
"""

from __future__ import annotations

import datetime as dt

from ..sql import ident as _q
from .columns import ColumnMap
from .date_window import plausible_sql, window_counts_sql
from .dates import DateReading
from .line_checks import number, text_or_null


def lines_sql(columns: ColumnMap, types: dict[str, str], decimal: str, dates: DateReading,
              customer_sql: str, limit: dt.date) -> str:
    """SQL reading every line of ``raw``: the columns of ``lines`` (``order_raw`` instead of
    ``order_key``; ``day`` NULL outside 1970-01-01 .. ``limit``), ``_d`` (the date as parsed),
    ``date_missing``, ``price`` and ``row_hash`` (of every column, for exact duplicates)."""
    order, product = text_or_null(columns.order), text_or_null(columns.product)
    quantity = number(columns.quantity, types, decimal)
    price = number(columns.price, types, decimal)
    given = number(columns.amount, types, decimal)
    if columns.amount:
        amount = "_given_amount"
    elif columns.quantity and columns.price:
        amount = "CAST(_quantity * _price AS DECIMAL(38,6))"
    else:
        amount = "NULL"
    # Derived columns get _-prefixed names first: DuckDB names are case-insensitive, so an
    # alias "quantity" would clash with a raw "Quantity".
    no_quantity_returns = "false" if columns.quantity else "coalesce(_amount < 0, false)"
    # Order ids C + digits are cancellations; the pattern runs only on ids starting with C.
    order_return = ("false" if columns.order is None
                    else "(CASE WHEN prefix(_order, 'C') THEN regexp_full_match(_order, 'C[0-9]+') "
                         "ELSE false END)")
    every_column = ", ".join(_q(c) for c in types)
    return f"""
        SELECT _customer AS customer, _d, {plausible_sql("_d", limit)} AS day,
               _date_missing AS date_missing, _order AS order_raw, _product AS product,
               _quantity AS quantity, _price AS price, _amount AS amount,
               ({order_return} OR coalesce(_quantity < 0, false) OR {no_quantity_returns})
                 AS is_return, _row_hash AS row_hash
        FROM (SELECT *, {amount} AS _amount FROM (
              SELECT *, {dates.parse("_dv")} AS _d, {dates.missing_sql("_dv")} AS _date_missing
              FROM (SELECT {customer_sql} AS _customer,
                           {dates.text_sql(_q(columns.date))} AS _dv, {order} AS _order,
                           {product} AS _product, {quantity} AS _quantity, {price} AS _price,
                           {given} AS _given_amount, hash({every_column}) AS _row_hash
                    FROM raw)))"""


QUALITY_COUNTS = ("lines", "no_customer", "date_missing", "date_bad", "date_early",
                  "date_late", "returns", "bad_price", "used", "returns_used", "distinct",
                  "zero_amount", "zero_quantity")


def quality_sql(columns: ColumnMap, limit: dt.date) -> str:
    """The quality block's aggregates over every line: ``counts`` (a list, in the order of
    ``QUALITY_COUNTS``), the first and last day (as ``first_any`` and ``last_any``) and the
    returned amount (as ``returned_amount``): its row shares the customers' columns."""
    early, late = window_counts_sql("_d", limit)
    used = "customer IS NOT NULL AND day IS NOT NULL"
    counts = [
        "count(*)",
        "count(*) FILTER (WHERE customer IS NULL)",
        "count(*) FILTER (WHERE date_missing)",
        "count(*) FILTER (WHERE NOT date_missing AND _d IS NULL)",
        f"count(*) FILTER (WHERE {early})",
        f"count(*) FILTER (WHERE {late})",
        "count(*) FILTER (WHERE is_return)",
        "count(*) FILTER (WHERE price <= 0)" if columns.price else "0",
        f"count(*) FILTER (WHERE {used})",
        f"count(*) FILTER (WHERE {used} AND is_return)",
        # Exact duplicates: a 64-bit hash of all columns stands for the line (a collision,
        # odds ~1e-6 at ten million lines, could only undercount by one).
        "count(DISTINCT row_hash)",
        # Lines worth nothing (free items, vouchers, export glitches) and lines of no units:
        # counted so the analyst sees them; they stay in the features as read.
        "count(*) FILTER (WHERE amount = 0)" if columns.has_money else "0",
        "count(*) FILTER (WHERE quantity = 0)" if columns.quantity else "0",
    ]
    returned = ("sum(-amount) FILTER (WHERE is_return)" if columns.has_money
                else "CAST(NULL AS DECIMAL(38,6))")
    return (f"[{', '.join(counts)}] AS counts, min(day) AS first_any, max(day) AS last_any, "
            f"{returned} AS returned_amount")
