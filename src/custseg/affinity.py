"""What each segment buys: product affinity, share of spend, and monthly sales of top products.

Affinity index of product p in segment s = P(p | s) / P(p) x 100, where P(p | s) is the share of
the segment's customers who bought p (returns aside) and P(p) the share of all segmented
customers. 100 means "as everyone", 200 "twice as likely". Minimum support: a product counts for
a segment only when at least ``MIN_BUYERS`` of its customers and ``MIN_SHARE`` of them bought it,
so that one-off purchases do not top the list. Only products above 100 are listed: a segment
that buys less of everything (infrequent shoppers) may have none.

The three tables come from one read of the purchase lines (``product_tables``): sums per
segment, product and month, and the distinct buyers per segment and product; every sum is exact
(DECIMAL) until it is shown.
"""

from __future__ import annotations

import contextlib

import duckdb
import pandas as pd

from .features.duck_session import execute_bounded

MIN_BUYERS = 10
MIN_SHARE = 0.02
TOP = 10
MONTHLY_PRODUCTS = 5
# DuckDB's memory for the product tables (MB): they run after the fit, when the process holds
# more; their groupings are small (segments x products x months).
PRODUCT_TABLES_MEMORY_MB = 512


def _register(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str) -> None:
    """``segment_of`` (customer_text, segment) and ``segment_key`` (customer, segment): the
    segments keyed as the lines' customers are (whole numbers or text), so that the lines join
    them without writing every line's id as text."""
    table = pd.DataFrame({"customer_text": segments[id_column].astype(str).to_numpy(),
                          "segment": segments["segment"].to_numpy()})
    con.register("segment_of", table)
    kind = con.execute("SELECT column_type FROM (DESCRIBE lines) "
                       "WHERE column_name = 'customer'").fetchone()
    if kind is not None and kind[0] != "VARCHAR":
        # A line's customer c joins the id text t when CAST(c AS VARCHAR) = t: t must be
        # c's own text, so ids that do not write back the same way join no line.
        key = f"TRY_CAST(customer_text AS {kind[0]})"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE segment_key AS
            SELECT {key} AS customer, segment FROM segment_of
            WHERE CAST({key} AS VARCHAR) = customer_text""")
    else:
        con.execute("""CREATE OR REPLACE TEMP TABLE segment_key AS
            SELECT customer_text AS customer, segment FROM segment_of""")


def _sums(con: duckdb.DuckDBPyConnection) -> None:
    """One read of the lines with a product, into ``product_sums``: per segment, product and
    month (``part`` 'month') and per product over every customer (``part`` 'product'), the
    exact sums the tables are made of; per segment and product (``part`` 'buyers'), the
    customers who bought it.

    The buyers are counted from the distinct (customer, product) pairs with the product's
    64-bit hash standing for its text (ten million pairs at ten million lines: as text they
    spilled 0.7 GB and took most of the statement), and the few products' names are joined
    back by their hash. Two products with one hash would be counted together; the odds are
    about 1e-12 for a hundred thousand products.
    """
    # The lines' view looks smaller to DuckDB's optimizer than it is: left to itself it hashed
    # the ten million lines to probe them with the million customers. Joins here build on the
    # segments, as written.
    with contextlib.suppress(duckdb.Error):  # DuckDB before 1.1 has no such optimizer
        con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    try:
        execute_bounded(con, """CREATE OR REPLACE TEMP TABLE product_sums AS
            WITH x AS (
              SELECT customer, product, is_return, amount,
                     coalesce(quantity, CASE WHEN is_return THEN -1 ELSE 1 END) AS units,
                     CAST(date_trunc('month', day) AS DATE) AS month
              FROM lines WHERE product IS NOT NULL)
            SELECT 'month' AS part, s.segment, x.product, x.month, sum(x.units) AS units,
                   sum(x.amount) AS amount, sum(CASE WHEN x.is_return THEN -1 ELSE 1 END) AS items
            FROM x JOIN segment_key s USING (customer) GROUP BY s.segment, x.product, x.month
            UNION ALL BY NAME
            SELECT 'product' AS part, product,
                   sum(amount) FILTER (WHERE NOT is_return) AS bought_amount,
                   count(*) FILTER (WHERE NOT is_return) AS bought_lines
            FROM x GROUP BY product
            UNION ALL BY NAME
            SELECT 'buyers' AS part, b.segment, n.product, b.buyers
            FROM (SELECT s.segment, d.product_hash, count(*) AS buyers
                  FROM (SELECT DISTINCT customer, hash(product) AS product_hash FROM x
                        WHERE NOT is_return) d
                  JOIN segment_key s USING (customer) GROUP BY s.segment, d.product_hash) b
            JOIN (SELECT DISTINCT product, hash(product) AS product_hash FROM x) n
            USING (product_hash)""",
                        PRODUCT_TABLES_MEMORY_MB)
    finally:
        con.execute("RESET disabled_optimizers")


def product_tables(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str,
                   money: bool) -> dict[str, pd.DataFrame]:
    """affinity.csv, product_share.csv and monthly_sales.csv from one read of the lines."""
    _register(con, segments, id_column)
    _sums(con)
    try:
        return {"affinity.csv": _affinity(con), "product_share.csv": _spend_share(con, money),
                "monthly_sales.csv": _monthly(con, money)}
    finally:
        con.execute("DROP TABLE product_sums")


def _affinity(con: duckdb.DuckDBPyConnection, min_buyers: int = MIN_BUYERS,
              min_share: float = MIN_SHARE, top: int = TOP) -> pd.DataFrame:
    return con.execute(f"""
        WITH sizes AS (SELECT segment, count(*) AS customers FROM segment_of GROUP BY segment),
             everyone AS (SELECT count(*) AS customers FROM segment_of),
             pairs AS (SELECT segment, product, buyers FROM product_sums
                       WHERE part = 'buyers'),
             product_buyers AS (SELECT product, CAST(sum(buyers) AS BIGINT) AS buyers
                                FROM pairs GROUP BY product),
             scored AS (
               SELECT p.segment, p.product, p.buyers,
                      p.buyers / s.customers AS segment_share,
                      b.buyers / e.customers AS overall_share,
                      100 * (p.buyers / s.customers) / (b.buyers / e.customers) AS affinity_index
               FROM pairs p JOIN sizes s USING (segment) JOIN product_buyers b USING (product),
                    everyone e
               WHERE p.buyers >= {int(min_buyers)} AND p.buyers / s.customers >= {min_share})
        SELECT * FROM (
          SELECT *, row_number() OVER (PARTITION BY segment
                                       ORDER BY affinity_index DESC, product) AS rank
          FROM scored WHERE affinity_index > 100) WHERE rank <= {int(top)}
        ORDER BY segment, rank""").df()


def _spend_share(con: duckdb.DuckDBPyConnection, money: bool, top: int = TOP) -> pd.DataFrame:
    # Shares of the exact segment total (a sum of doubles would depend on the order of rows).
    measure = "amount" if money else "items"
    return con.execute(f"""
        WITH totals AS (
          SELECT segment, product, sum({measure}) AS exact FROM product_sums
          WHERE part = 'month' GROUP BY segment, product),
             shares AS (SELECT segment, product, CAST(exact AS DOUBLE) AS value,
                               CAST(exact AS DOUBLE)
                               / CAST(sum(exact) OVER (PARTITION BY segment) AS DOUBLE) AS share
                        FROM totals)
        SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY segment
                                                    ORDER BY share DESC, product) AS rank
                       FROM shares) WHERE rank <= {int(top)} ORDER BY segment, rank""").df()


def _monthly(con: duckdb.DuckDBPyConnection, money: bool,
             products: int = MONTHLY_PRODUCTS) -> pd.DataFrame:
    revenue = ", CAST(amount AS DOUBLE) AS revenue" if money else ""
    order = "bought_amount" if money else "bought_lines"
    return con.execute(f"""
        WITH top_products AS (
          SELECT product FROM product_sums WHERE part = 'product' AND bought_lines > 0
          ORDER BY {order} DESC, product LIMIT {int(products)})
        SELECT month, segment, product, CAST(units AS DOUBLE) AS units{revenue}
        FROM product_sums
        WHERE part = 'month' AND product IN (SELECT product FROM top_products)
        ORDER BY product, segment, month""").df()
