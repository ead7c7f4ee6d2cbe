"""Personal recommendations: products a customer has not bought that customers like them buy.

Score of product p for a customer in segment s: the share of the segment's customers who bought
p, shrunk towards the share of all customers (``SHRINK`` pseudo-customers of prior):

    score = (buyers in s + SHRINK x P(p)) / (customers in s + SHRINK)

Where a segment's tastes differ from everyone's, its favourites win; where segments carry no
signal (a small segment, or baskets close to random), the score falls back to popularity, so it
is never much worse than recommending best sellers. Products the customer already bought are
never recommended. Each recommendation carries its reason.
"""

from __future__ import annotations

import os

import duckdb
import pandas as pd

from .dialect import ReadOptions
from .errors import DataError
from .features.transactions import customer_features

SHRINK = 50.0
CANDIDATES = 60  # per segment, before removing what each customer already bought


def recommend_from(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, id_column: str,
                   top: int = 10, shrink: float = SHRINK, by_segment: bool = True) -> pd.DataFrame:
    """Top ``top`` products per customer from the ``lines`` view of ``con``.

    ``by_segment=False`` gives the best-seller baseline (everyone in one segment).
    """
    names = (segments.set_index("segment")["segment_name"].to_dict()
             if "segment_name" in segments else {})
    table = pd.DataFrame({"customer_text": segments[id_column].astype(str).to_numpy(),
                          "segment": segments["segment"].to_numpy() if by_segment else 0})
    con.register("rec_segment", table)
    frame = con.execute(f"""
        WITH bought AS (
               SELECT DISTINCT CAST(customer AS VARCHAR) AS customer_text, product FROM lines
               WHERE NOT is_return AND product IS NOT NULL),
             everyone AS (SELECT count(*) AS n FROM rec_segment),
             popularity AS (
               SELECT b.product, count(*) / any_value(e.n) AS share
               FROM bought b JOIN rec_segment r USING (customer_text), everyone e
               GROUP BY b.product),
             sizes AS (SELECT segment, count(*) AS n FROM rec_segment GROUP BY segment),
             pairs AS (
               SELECT r.segment, b.product, count(*) AS buyers
               FROM bought b JOIN rec_segment r USING (customer_text)
               GROUP BY r.segment, b.product),
             scored AS (
               SELECT s.segment, p.product,
                      (coalesce(x.buyers, 0) + {shrink} * p.share) / (s.n + {shrink}) AS score,
                      coalesce(x.buyers, 0) / s.n AS segment_share, p.share AS overall_share
               FROM sizes s CROSS JOIN popularity p
               LEFT JOIN pairs x ON x.segment = s.segment AND x.product = p.product),
             candidates AS (
               SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY segment
                                                           ORDER BY score DESC, product) AS r
                              FROM scored) WHERE r <= {CANDIDATES + top}),
             fresh AS (
               SELECT r.customer_text, c.*
               FROM rec_segment r JOIN candidates c USING (segment)
               ANTI JOIN bought b ON b.customer_text = r.customer_text
                                  AND b.product = c.product)
        SELECT customer_text, segment, product, score, segment_share, overall_share, rank
        FROM (SELECT *, row_number() OVER (PARTITION BY customer_text
                                           ORDER BY score DESC, product) AS rank FROM fresh)
        WHERE rank <= {int(top)} ORDER BY customer_text, rank""").df()
    frame["reason"] = [
        (f"bought by {s:.0%} of customers in your segment '{names.get(seg, seg)}' "
         f"({s / o * 100:.0f}% of the average)" if by_segment else
         f"a best seller: bought by {o:.0%} of customers")
        for seg, s, o in zip(frame["segment"], frame["segment_share"], frame["overall_share"],
                             strict=True)]
    return frame


def recommend(segments: str | os.PathLike[str] | pd.DataFrame,
              transactions: str | os.PathLike[str] | pd.DataFrame, top: int = 10,
              encoding: str | None = None, options: ReadOptions | None = None) -> pd.DataFrame:
    """Recommendations for every customer of a segmentation (a --out folder or its frame)."""
    from . import io

    if top < 1:
        raise DataError("--top must be at least 1")
    if not isinstance(segments, pd.DataFrame):
        segments = io.read_segments(segments)
    if {"segment", "segment_name"} - set(segments.columns):
        raise DataError("segments must come from custseg segment (segment, segment_name)")
    id_column = str(segments.columns[0])
    with customer_features(transactions, encoding=encoding, options=options) as history:
        if history.columns.product is None or history.connection is None:
            raise DataError("the purchase history has no product column; name it with "
                            "--product-col")
        recs = recommend_from(history.connection, segments, id_column, top)
    ids = segments[[id_column]].assign(customer_text=segments[id_column].astype(str))
    out = ids.merge(recs, on="customer_text").drop(columns="customer_text")
    return out[[id_column, "rank", "product", "score", "reason"]].sort_values(
        [id_column, "rank"], ignore_index=True)


def evaluate_holdout(source: str | os.PathLike[str] | pd.DataFrame, top: int = 10,
                     k: int | str = "auto", seed: int = 0) -> dict[str, float | int]:
    """Hit rate at ``top``: hold out each customer's last shopping day, segment and recommend
    from the rest, and count customers for whom a recommended product was among the new products
    they bought that day. The same for recommending overall best sellers they have not bought."""
    from .pipeline import segment

    full_history = customer_features(source)
    con = full_history.connection
    if con is None or full_history.columns.product is None:
        raise DataError("evaluation needs a purchase history with a product column")
    # The view ``lines`` parses the file on every read; the four reads below share one.
    con.execute("""CREATE TEMP TABLE every_line AS SELECT customer, day, order_key, product,
        quantity, amount, is_return FROM lines""")
    con.execute("""CREATE TEMP TABLE last_day AS
        SELECT customer, max(day) AS last FROM every_line WHERE NOT is_return
        GROUP BY customer HAVING count(DISTINCT day) >= 2""")
    train = con.execute("""
        SELECT l.customer, l.day, l.order_key, l.product, l.quantity, l.amount, l.is_return
        FROM every_line l LEFT JOIN last_day d USING (customer)
        WHERE d.last IS NULL OR l.day < d.last""").df()
    held_out = con.execute("""
        SELECT DISTINCT CAST(l.customer AS VARCHAR) AS customer_text, l.product
        FROM every_line l JOIN last_day d ON l.customer = d.customer AND l.day = d.last
        WHERE NOT l.is_return AND l.product IS NOT NULL
        EXCEPT
        SELECT DISTINCT CAST(l.customer AS VARCHAR), l.product
        FROM every_line l JOIN last_day d ON l.customer = d.customer AND l.day < d.last""").df()
    money = full_history.money
    train_history = train.assign(returned=train["is_return"].astype(int)).drop(columns="is_return")
    if not money:
        train_history = train_history.drop(columns="amount")
    if full_history.columns.quantity is None:
        train_history = train_history.drop(columns="quantity")
    result = segment(train_history, transactions=True, customer_col="customer", date_col="day",
                     order_col="order_key" if full_history.columns.order else None,
                     product_col="product", k=k, seed=seed,
                     amount_col=("amount" if money and full_history.columns.quantity is None
                                 else None))
    id_column = str(result.assignments.columns[0])
    wanted = held_out.groupby("customer_text")["product"].apply(set).to_dict()
    rates: dict[str, float | int] = {"customers_evaluated": len(wanted), "top": top,
                                     "k": int(result.summary["k"])}
    with duckdb.connect() as trained:  # the training lines, as the segmentation read them
        trained.register("train", train)
        trained.execute("CREATE TEMP VIEW lines AS SELECT * FROM train")
        for label, by_segment in (("segments", True), ("best_sellers", False)):
            recs = recommend_from(trained, result.assignments, id_column, top,
                                  by_segment=by_segment)
            picks = recs.groupby("customer_text")["product"].apply(set).to_dict()
            hits = sum(bool(products & picks.get(customer, set()))
                       for customer, products in wanted.items())
            rates[f"hit_rate_{label}"] = hits / len(wanted) if wanted else 0.0
    con.close()
    return rates
