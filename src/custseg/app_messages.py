"""The library's messages in the web page's terms.

The library speaks to the command line ("name it with --customer-col"). On the page the same
fix is a box to pick, so every message the page shows passes through ``in_page_terms``: the
known phrasings become the page's controls, and any other ``--flag`` names the command-line
option in words, so that no flag the page has no use for is ever shown.
"""

from __future__ import annotations

import re

# Command-line option -> the control on the page that does the same.
PAGE_CONTROLS = {
    "--customer-col": "the customer column box above",
    "--date-col": "the date column box above",
    "--amount-col": "the amount column box above",
    "--quantity-col": "the quantity column box above",
    "--price-col": "the price column box above",
    "--order-col": "the order column box above",
    "--product-col": "the product column box above",
    "--id-col": "the customer id box above",
    "--features": "the features box above",
    "--transactions": "\"Purchase history\" above",
}

# Whole phrases first: they read better than a flag swapped for a box name.
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"name (?:it|the right column) with --(\w+)-col"),
     r"pick the \1 column above"),
    (re.compile(r"given in --(\w+)-col"), r"picked as the \1 column"),
    (re.compile(r"(?:or )?choose another column with --id-col"),
     "or pick another customer id column above"),
    (re.compile(r"pass another --id-col"), "pick another customer id column above"),
    (re.compile(r"(?:remove it from|leave (?:it|the column) out of) --features"),
     "leave it out of the features above"),
    (re.compile(r"name it in --features to use it"), "add it to the features above to use it"),
    (re.compile(r"name numeric or categorical columns with --features"),
     "pick numeric or categorical columns in the features box above"),
    (re.compile(r"pass the delimiter, e\.g\. --delimiter ('[^']*')"),
     r"save the file separated by commas, or give the delimiter \1 to custseg segment on the "
     "command line"),
    (re.compile(r"pick a later --as-of"),
     "give a later as-of date to custseg segment on the command line"),
    (re.compile(r"--transactions needs a purchase history file; pass its path"),
     "a purchase history needs an uploaded file"),
]
_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")


def in_page_terms(message: str, uploads: dict[str, str] | None = None) -> str:
    """``message`` with page controls for flags and upload names for the server's paths."""
    for saved, shown in (uploads or {}).items():
        message = message.replace(saved, shown)
    for pattern, replacement in _PHRASES:
        message = pattern.sub(replacement, message)
    for flag, control in PAGE_CONTROLS.items():
        message = re.sub(re.escape(flag) + r"(?![\w-])", control, message)
    # Options the page has no control for (delimiter, encoding, as-of date...): said in words,
    # with where to set them.
    return _FLAG.sub(lambda m: f"the {m.group(1).replace('-', ' ')} option of "
                               "custseg segment (command line)", message)


# Characters Streamlit's markdown reads as markup: $...$ is LaTeX math (two amounts in dollars
# would print the text between them as a formula), *, _ and ~ emphasis, ` code, [ ] < > links
# and HTML, | tables, \ escapes. An underscore inside a word (cust_no) is no markup and stays.
_MARKUP = re.compile(r"([\\`*$~\[\]<>|])|(?<!\w)_|_(?!\w)")


def for_markdown(text: str) -> str:
    """``text`` (money, names the analyst typed, column names, the library's sentences) as
    written when shown through st.markdown, st.caption, st.info and the like."""
    return _MARKUP.sub(lambda m: "\\" + m.group(0), text)
