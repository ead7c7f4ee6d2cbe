"""custseg: segment a retailer's customers with K-means and turn the segments into decisions."""

from __future__ import annotations

from .errors import ConfigError, CustsegError, DataError, MissingExtraError, ModelFileError
from .model import SegmentModel

__version__ = "0.1.0"
__all__ = [
    "ConfigError", "CustsegError", "DataError", "MissingExtraError", "ModelFileError",
    "SegmentModel", "__version__",
]
