"""Keep the items of one (model, dataset) on one xdist worker under ``--dist loadgroup``.

pytest-xdist's ``loadgroup`` carries the ``xdist_group`` mark to its scheduler by
appending ``@group`` to each node id on the worker; with pytest 9.2 that mutation no
longer takes effect (pytest-xdist issue #1386), and grouping silently stops. Suite item
ids already name their group — ``suites/core.yaml::core[pca-pbmc68k-clustering]`` belongs
to ``suites/core.yaml::core[pca-pbmc68k]`` — so this scheduler reads the group off the id
and defers to xdist's own rule for every other test.
"""

from __future__ import annotations

import re

from xdist.scheduler import LoadGroupScheduling

#: ``<file>.yaml::<suite>[<model>-<dataset>-<task>]``; names never contain '-'.
_ITEM_ID = re.compile(r"^(?P<file>.+\.ya?ml)::(?P<suite>[^\[\]]+)\[(?P<model>[^-\]]+)-(?P<dataset>[^-\]]+)-[^-\]]+\]$")


def group_of(nodeid: str) -> str | None:
    """The (model, dataset) group of a suite item's node id; None for other tests."""
    match = _ITEM_ID.match(nodeid)
    if match is None:
        return None
    return f"{match['file']}::{match['suite']}[{match['model']}-{match['dataset']}]"


class SuiteGroupScheduling(LoadGroupScheduling):
    """``loadgroup`` that also groups suite items by their (suite, model, dataset)."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid) or super()._split_scope(nodeid)
