"""custseg: segment a retailer's customers with K-means and turn the segments into decisions.

The public API is what ``__all__`` lists; everything else is private and may change.
"""


__version__ = "0.1.0"

from .datasets import load_sample, sample_path  # noqa: E402
from .errors import (  # noqa: E402
    ConfigError,
    CustsegError,
    DataError,
    MissingExtraError,
    ModelFileError,
)
from .io import read_table  # noqa: E402
from .model import SegmentModel  # noqa: E402
from .persist import load_model  # noqa: E402
from .pipeline import SegmentationResult, segment  # noqa: E402
from .score import score_frame  # noqa: E402

__all__ = [
    "ConfigError", "CustsegError", "DataError", "MissingExtraError", "ModelFileError",
    "SegmentModel", "SegmentationResult", "__version__", "load_model", "load_sample",
    "read_table", "sample_path", "score_frame", "segment",
]
