"""gate: on a task entry: names checked when known, at run time when they depend on the data."""

from __future__ import annotations

import pytest

from pytest_scbench import registry
from pytest_scbench.errors import ScbenchError
from pytest_scbench.gating import apply_gate, parse_gate


def test_dynamic_metric_names_are_checked_when_the_item_runs() -> None:
    task = registry.tasks.get("cross_species_integration")()
    where = "suites/x.yaml: tasks[0].gate"
    gate = parse_gate(["transfer_human_to_mouse_accuracy", "species_entropy"], task, where)  # not known yet
    gate.check_ran("x[m-d-t]", ["species_entropy", "transfer_human_to_mouse_accuracy", "mean_transfer_accuracy"])
    with pytest.raises(ScbenchError) as info:
        gate.check_ran("x[m-d-t]", ["species_entropy", "transfer_human_to_mouse_macro_f1"])
    assert str(info.value) == (
        "suites/x.yaml: tasks[0].gate: x[m-d-t] returned no metric 'transfer_human_to_mouse_accuracy' "
        "(did you mean 'transfer_human_to_mouse_macro_f1'?); it returned: species_entropy, transfer_human_to_mouse_macro_f1"
    )
    # A task's own headlines are never an item error, even where a run lacks one.
    parse_gate(None, task, where).check_ran("x[m-d-t]", ["species_entropy"])


def test_only_ungated_regressions_become_changed() -> None:
    verdicts = {m: {"status": s, "value": 0.1} for m, s in (("a", "regressed"), ("b", "regressed"), ("c", "improved"))}
    out = apply_gate(verdicts, ["a"])
    assert {m: v["status"] for m, v in out.items()} == {"a": "regressed", "b": "changed", "c": "improved"}
    assert verdicts["b"]["status"] == "regressed"  # the input is left as it was
    assert parse_gate("all", registry.tasks.get("clustering")(), "w").gated(["ari", "nmi"]) == ["ari", "nmi"]
