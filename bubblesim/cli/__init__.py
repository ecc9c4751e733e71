"""The ``bubblesim`` command line: a thin layer over the Python API.

:mod:`.base` holds the group, error handling, progress and shared options; each command family
lives in a module of its own and registers itself on the group when imported here.
"""

from . import bubbles, compare, fan, history, insight, run, validate  # noqa: F401  (registers the commands)
from .base import BubblesimError, BubblesimGroup, Progress, cli

__all__ = ["cli", "main", "BubblesimError", "BubblesimGroup", "Progress"]


def main():  # console-script entry point
    cli()
