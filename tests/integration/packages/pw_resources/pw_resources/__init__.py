"""pw_resources: pyweld's test package for the in-memory importer."""
import warnings

from ._speedups import add

__all__ = ["add", "beta_plugin", "boom", "deprecated"]


def beta_plugin():
    return "beta from pw_resources"


def boom():
    raise ValueError("pw_resources says boom")  # BOOM-LINE


def deprecated():
    warnings.warn("pw_resources.deprecated is old", DeprecationWarning)  # WARN-LINE
