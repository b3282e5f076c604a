"""The project's own error types.

Every failure a user can cause (a bad suite file, a broken data set, a model returning
the wrong shape, a task given unusable labels) is raised as one of these, with a message
that names the file, key, item or column involved. The plugin shows these messages
without a traceback; anything else escaping is a bug in pytest-scbench.
"""

from __future__ import annotations


class ScbenchError(Exception):
    """Base class: an error whose message is meant for the user, not a traceback."""


class SuiteError(ScbenchError):
    """A suite file is malformed: unknown names, wrong types, misspelt keys."""


class DatasetError(ScbenchError):
    """A data set cannot be found, downloaded, verified, loaded or lacks a column."""


class ModelError(ScbenchError):
    """A model cannot be built, or its outputs are invalid (shape, NaN, cell order)."""


class TaskError(ScbenchError):
    """A task cannot run on its inputs (bad parameters, a single class, too few cells)."""


class BaselineError(ScbenchError):
    """A baseline file cannot be read or written."""
