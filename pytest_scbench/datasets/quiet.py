"""Reading and writing data files without a dependency's deprecation notice becoming an error.

anndata, pandas, h5py and scanpy warn their own callers about their API changes (for
instance anndata 0.13 under pandas 3 sets the deprecated ``future.infer_string`` option
while it reads, and pandas answers with a ``Pandas4Warning``). Such a warning tells the
user nothing about their data, and under ``filterwarnings = error`` (a common pytest
setting, and the setting the project's own data tests use) it would turn into a failed
load. :func:`dependency_warnings_quiet` ignores exactly these categories around our I/O
calls; warnings about the data itself (anndata's "Variable names are not unique", our own
:class:`~pytest_scbench.errors.DatasetWarning`) are ``UserWarning``\\ s and still reach
the user.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

#: The categories a library uses to announce changes of its own API to its callers.
#: pandas' ``Pandas4Warning`` / ``PandasFutureWarning`` derive from these.
API_CHANGE_WARNINGS: tuple[type[Warning], ...] = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@contextlib.contextmanager
def dependency_warnings_quiet() -> Iterator[None]:
    """Ignore the dependencies' API-change warnings (see the module docstring) inside the block."""
    with warnings.catch_warnings():
        for category in API_CHANGE_WARNINGS:
            warnings.simplefilter("ignore", category)
        yield
