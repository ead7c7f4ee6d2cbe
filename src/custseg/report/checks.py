"""A purchase history's data-quality checks in words: what was counted and what was done about
it. One list for report.html's table and the app's, so that the two say the same thing."""

from __future__ import annotations

from typing import Any

from .answer import money


def history_checks(quality: dict[str, Any], symbol: str | None) -> list[tuple[str, int, str]]:
    """(check, lines, what was done) for summary.json's ``transactions.quality``; a count that
    is None did not apply (no price column, no money...) and is left out. Plain text: the
    report escapes it, the app shows it as it is."""
    rows: list[tuple[str, int | None, str]] = [
        ("lines without a customer id", quality["lines_without_customer"],
         "left out of customer features (cannot be attributed)"),
        ("lines without a date", quality["lines_without_date"], "left out"),
        ("lines after the as-of date", quality["lines_after_as_of"], "left out"),
        ("dates before 1970 (implausible)", quality.get("lines_before_1970"), "left out"),
        ("dates after today (implausible)", quality.get("lines_in_future"), "left out"),
    ]
    rows += [(f"amounts in '{column}' written with currency signs or thousands separators",
              n, "read as numbers")
             for column, n in (quality.get("numbers_from_text") or {}).items()]
    if quality.get("ids_trimmed"):
        rows.append(("customer ids with spaces around them", quality["ids_trimmed"],
                     "spaces removed"))
    returned = (f" (returned amount {money(quality['returned_amount'], symbol, 2)})"
                if quality.get("returned_amount") else "")
    rows += [
        ("returns and cancellations", quality["return_lines"],
         quality["returns_netting"] + returned),
        ("zero or negative prices", quality.get("zero_or_negative_price_lines"),
         "kept as they are"),
        ("lines with zero spend", quality.get("zero_amount_lines"),
         "kept as read: part of their order, adding nothing to spend"),
        ("lines with zero quantity", quality.get("zero_quantity_lines"),
         "kept as read: part of their order, adding no items"),
        ("exact duplicate lines", quality["exact_duplicate_lines"],
         quality["duplicates_policy"]),
    ]
    return [(check, int(lines), done) for check, lines, done in rows if lines is not None]
