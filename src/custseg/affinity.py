"""What each segment buys: product affinity, share of spend, and monthly sales of top products.

Affinity index of product p in segment s = P(p | s) / P(p) x 100, where P(p | s) is the share of
the segment's customers who bought p (returns aside) and P(p) the share of all segmented
customers. 100 means "as everyone", 200 "twice as likely". Minimum support: a product counts for
a segment only when at least ``MIN_BUYERS`` of its customers and ``MIN_SHARE`` of them bought it,
so that one-off purchases do not top the list. Only products above 100 are listed: a segment
that buys less of everything (infrequent shoppers) may have none.
"""

from __future__ import annotations

import duckdb
import pandas as pd

MIN_BUYERS = 10
MIN_SHARE = 0.02
TOP = 10
MONTHLY_PRODUCTS = 5


def _register(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str) -> None:
    table = pd.DataFrame({"customer_text": segments[id_column].astype(str).to_numpy(),
                          "segment": segments["segment"].to_numpy()})
    con.register("segment_of", table)
    con.execute("""CREATE OR REPLACE TEMP VIEW bought AS
        SELECT DISTINCT s.segment, CAST(l.customer AS VARCHAR) AS customer, l.product
        FROM lines l JOIN segment_of s ON CAST(l.customer AS VARCHAR) = s.customer_text
        WHERE NOT l.is_return AND l.product IS NOT NULL""")


def product_affinity(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str,
                     min_buyers: int = MIN_BUYERS, min_share: float = MIN_SHARE,
                     top: int = TOP) -> pd.DataFrame:
    """Top products per segment by affinity index (segment, product, buyers, shares, index)."""
    _register(con, segments, id_column)
    return con.execute(f"""
        WITH sizes AS (SELECT segment, count(*) AS customers FROM segment_of GROUP BY segment),
             everyone AS (SELECT count(*) AS customers FROM segment_of),
             product_buyers AS (SELECT product, count(DISTINCT customer) AS buyers
                                FROM bought GROUP BY product),
             pairs AS (SELECT segment, product, count(*) AS buyers
                       FROM bought GROUP BY segment, product),
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


def spend_share(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str,
                money: bool, top: int = TOP) -> pd.DataFrame:
    """Each segment's top products by share of its spend (of its items without prices)."""
    _register(con, segments, id_column)
    measure = "sum(l.amount)" if money else "sum(CASE WHEN l.is_return THEN -1 ELSE 1 END)"
    return con.execute(f"""
        WITH totals AS (
          SELECT s.segment, l.product, CAST({measure} AS DOUBLE) AS value
          FROM lines l JOIN segment_of s ON CAST(l.customer AS VARCHAR) = s.customer_text
          WHERE l.product IS NOT NULL GROUP BY s.segment, l.product),
             shares AS (SELECT *, value / sum(value) OVER (PARTITION BY segment) AS share
                        FROM totals)
        SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY segment
                                                    ORDER BY share DESC, product) AS rank
                       FROM shares) WHERE rank <= {int(top)} ORDER BY segment, rank""").df()


def monthly_sales(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str,
                  money: bool, products: int = MONTHLY_PRODUCTS) -> pd.DataFrame:
    """Monthly units (and revenue) per segment for the overall top products, for planning."""
    _register(con, segments, id_column)
    units = "sum(coalesce(l.quantity, CASE WHEN l.is_return THEN -1 ELSE 1 END))"
    revenue = ", CAST(sum(l.amount) AS DOUBLE) AS revenue" if money else ""
    order = "sum(amount)" if money else "count(*)"
    return con.execute(f"""
        WITH top_products AS (
          SELECT product FROM lines WHERE product IS NOT NULL AND NOT is_return
          GROUP BY product ORDER BY {order} DESC, product LIMIT {int(products)})
        SELECT CAST(date_trunc('month', l.day) AS DATE) AS month, s.segment, l.product,
               CAST({units} AS DOUBLE) AS units{revenue}
        FROM lines l JOIN segment_of s ON CAST(l.customer AS VARCHAR) = s.customer_text
        WHERE l.product IN (SELECT product FROM top_products)
        GROUP BY month, s.segment, l.product ORDER BY l.product, s.segment, month""").df()
