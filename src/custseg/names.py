"""Column names as people write them: the key under which spellings of one name match.

The lowest module of the package (it imports nothing from it), so the reader, the role
detection and the schema checks all match names the same way.
"""

from __future__ import annotations

import re


def column_key(name: str) -> str:
    """The lowercase letters and digits of a column name: ``Customer ID`` -> ``customerid``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())
