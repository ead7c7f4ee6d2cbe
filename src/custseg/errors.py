"""The exceptions custseg raises.

The library raises these small domain errors; the command line turns each into one line on stderr
and exit code 2. Every message names the problem *and* the fix.
"""

from __future__ import annotations


class CustsegError(Exception):
    """Root of every error custseg raises on purpose."""


class DataError(CustsegError, ValueError):
    """The input data cannot be segmented as it is (missing file, bad values, duplicate ids...)."""


class ConfigError(CustsegError, ValueError):
    """A parameter or option is out of range or inconsistent."""


class ModelFileError(CustsegError, ValueError):
    """A model file is unreadable, from another format or version, or has a defective field."""


class MissingExtraError(CustsegError, ImportError):
    """An optional part was used without its pip extra installed."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional '{extra}' extra; install it with "
            f"pip install 'custseg[{extra}]'"
        )
        self.extra = extra


def param_error(name: str, allowed: str, got: object) -> ConfigError:
    """The one message template for a bad parameter value (the scikit-learn wording)."""
    return ConfigError(f"The '{name}' parameter must be {allowed}. Got {got!r} instead.")
