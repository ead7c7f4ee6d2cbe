"""custseg: segment a retailer's customers with K-means and turn the segments into decisions.

The public API is what ``__all__`` lists; everything else is private and may change.

Names are imported on first use (PEP 562): ``import custseg`` stays cheap, and no module inside
the package needs to import the package itself.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Public name -> the module that defines it.
_EXPORTS = {
    "ConfigError": "errors", "CustsegError": "errors", "DataError": "errors",
    "MissingExtraError": "errors", "ModelFileError": "errors",
    "load_sample": "datasets", "sample_path": "datasets",
    "read_table": "io",
    "SegmentModel": "model",
    "load_model": "persist",
    "SegmentOptions": "options",
    "SegmentationResult": "result",
    "segment": "pipeline",
    "score_frame": "score",
}

# The edges (they call the library, never the reverse) are not loaded by attribute access:
# ``custseg.app`` would start the Streamlit script.
_EDGES = {"app", "cli", "serve", "__main__"}

__all__ = [
    "ConfigError", "CustsegError", "DataError", "MissingExtraError", "ModelFileError",
    "SegmentModel", "SegmentOptions", "SegmentationResult", "__version__", "load_model",
    "load_sample", "read_table", "sample_path", "score_frame", "segment",
]

if TYPE_CHECKING:
    from .datasets import load_sample, sample_path
    from .errors import ConfigError, CustsegError, DataError, MissingExtraError, ModelFileError
    from .io import read_table
    from .model import SegmentModel
    from .options import SegmentOptions
    from .persist import load_model
    from .pipeline import segment
    from .result import SegmentationResult
    from .score import score_frame


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _EDGES:
        raise AttributeError(f"module 'custseg' has no attribute {name!r}; import custseg.{name}")
    try:  # a library submodule, as ``custseg.io`` after ``import custseg``
        return import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise  # the submodule exists but needs something missing
        raise AttributeError(f"module 'custseg' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(__all__)  # the public API, not the helpers of this module
