"""Running a command that file modes bind, even when the tests run as root."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def no_override_prefix() -> list[str]:
    """The argv prefix that runs a shell command (one string after it) without CAP_DAC_OVERRIDE.

    Not root: nothing to drop (an empty prefix; pass argv as is). Root: ``capsh`` drops
    the capability that lets root write into read-only folders; the test is skipped,
    saying why, where capsh is missing or cannot drop it.
    """
    if os.geteuid() != 0:
        return []
    capsh = shutil.which("capsh")
    if capsh is None:
        pytest.skip("running as root and capsh is not installed: cannot drop the permission override")
    probe = subprocess.run([capsh, "--drop=cap_dac_override", "--", "-c", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root and capsh cannot drop cap_dac_override: {probe.stderr.decode()[:200]}")
    return [capsh, "--drop=cap_dac_override", "--", "-c"]
