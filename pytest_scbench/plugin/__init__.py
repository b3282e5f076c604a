"""The pytest side of pytest-scbench: the plugin pytest loads, and what only it uses.

``pytest_scbench.plugin`` is the module pytest registers (the ``pytest11`` entry point
``scbench``, or ``pytest -p pytest_scbench.plugin``): it re-exports the hooks and fixtures of
:mod:`.hooks`, where they are written. Beside them, one job per module:

- :mod:`.items`: the collector of suite files and the item of one (model, dataset, task);
- :mod:`.expect_items`: the item of one relative expectation;
- :mod:`.session`: the state of one run (options, data sets, outputs, results);
- :mod:`.collected`: what collection found, carried from xdist workers to the controller;
- :mod:`.result_store`: finished results, readable by expectation items in any process;
- :mod:`.scheduling` and :mod:`.sharding`: which worker and which machine runs an item;
- :mod:`.speed`: model throughput as a gated pytest-benchmark item;
- :mod:`.fixtures`: fixtures for hand-written benchmark tests;
- :mod:`.progress_sink`: where progress lines go while pytest captures output;
- :mod:`.finish` and :mod:`.mlflow_log`: the end of a run (baselines, reports, MLflow).
"""

from .hooks import (
    pytest_addoption,
    pytest_collect_file,
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_makereport,
    pytest_unconfigure,
    pytest_xdist_make_scheduler,
    scbench_dataset,
    scbench_device,
    scbench_model,
    scbench_outputs,
)

__all__ = [
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_makereport",
    "pytest_unconfigure",
    "pytest_xdist_make_scheduler",
    "scbench_dataset",
    "scbench_device",
    "scbench_model",
    "scbench_outputs",
]
