"""One rule for paths and imports, however pytest is started (issue 17, item 4).

The README's own example, as a user meets it: a project with ``my_package/adapters.py``
(the README's ``MyModel``, taking ``checkpoint``) and a suite naming
``adapter: "my_package.adapters:MyModel"`` with ``checkpoint: ../ckpt``. It must run
under bare ``pytest`` (the console script, whose ``sys.path`` lacks the current
directory), ``python -m pytest``, ``pytest -p`` with plugin autoloading off, and from
another directory (with and without an ini file), with ``checkpoint`` resolved relative
to the suite file every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import write_suite

ADAPTER = '''
import numpy as np
from pathlib import Path

from pytest_scbench import ModelAdapter, ModelError


class MyModel(ModelAdapter):
    """The README's example adapter, reading a weights file from its checkpoint folder."""

    provides = frozenset({"embedding"})
    path_params = frozenset({"vocabulary"})

    def __init__(self, checkpoint: str, vocabulary: str = "") -> None:
        super().__init__(checkpoint=checkpoint, vocabulary=vocabulary)

    def embed(self, dataset, ctx):
        weights = Path(self.params["checkpoint"]) / "weights.npy"
        if not weights.is_file():
            raise ModelError(f"model {self.name!r}: no weights at {weights}")
        if not Path(self.params["vocabulary"]).is_file():
            raise ModelError(f"model {self.name!r}: no vocabulary at {self.params['vocabulary']}")
        rng = np.random.default_rng(ctx.seed)
        return rng.normal(size=(dataset.n_obs, 2)) @ np.load(weights)
'''

SUITE = """
name: demo
models:
  - name: mine
    adapter: "my_package.adapters:MyModel"
    checkpoint: ../ckpt
    vocabulary: ../vocab.txt
datasets: [pbmc68k]
tasks: [embedding]
"""


@pytest.fixture
def readme_project(project: pytest.Pytester) -> Path:
    import numpy as np

    root = project.path
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "my_package").mkdir()
    (root / "my_package" / "__init__.py").write_text("")
    (root / "my_package" / "adapters.py").write_text(textwrap.dedent(ADAPTER))
    (root / "ckpt").mkdir()
    np.save(root / "ckpt" / "weights.npy", np.eye(2, 4))
    (root / "vocab.txt").write_text("CD3E\n")
    write_suite(project, SUITE)
    return root


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*args, "-p", "no:cacheprovider"], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return done


CONSOLE_SCRIPT = str(Path(sys.executable).with_name("pytest"))


@pytest.mark.parametrize(
    ("how", "env"),
    [
        ([CONSOLE_SCRIPT, "suites"], None),
        ([sys.executable, "-m", "pytest", "suites"], None),
        ([CONSOLE_SCRIPT, "-p", "pytest_scbench.plugin", "suites"], {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
    ],
    ids=["bare pytest", "python -m pytest", "pytest -p"],
)
def test_the_readme_adapter_and_checkpoint_work_however_pytest_starts(
    readme_project: Path, how: list[str], env: dict[str, str] | None
) -> None:
    assert Path(CONSOLE_SCRIPT).is_file()
    done = run(readme_project, *how, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


def test_from_another_directory_paths_follow_the_suite_and_imports_the_rootdir(readme_project: Path) -> None:
    done = run(readme_project.parent, CONSOLE_SCRIPT, str(readme_project / "suites"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


def test_without_an_ini_file_the_package_beside_the_suites_folder_imports_from_anywhere(
    readme_project: Path, tmp_path: Path
) -> None:
    """No pytest.ini or pyproject.toml: pytest's rootdir is then the common ancestor of the
    current directory and the arguments, which need not hold ``my_package``; the folders
    from the suite's up to it are searched, so the nearest holder of the package wins."""
    (readme_project / "pytest.ini").unlink()
    elsewhere = readme_project.parent / "elsewhere"
    elsewhere.mkdir()
    done = run(elsewhere, CONSOLE_SCRIPT, str(readme_project / "suites"))
    assert f"rootdir: {readme_project.parent}" in done.stdout
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


def test_adapter_imports_look_from_the_suite_up_to_the_rootdir_and_no_further(tmp_path: Path) -> None:
    from pytest_scbench.registry import _import_roots

    root = tmp_path / "project"
    suites = root / "suites" / "nested"
    suites.mkdir(parents=True)
    assert _import_roots(root, suites) == [suites.resolve(), (root / "suites").resolve(), root.resolve()]
    assert _import_roots(root, root) == [root.resolve()]
    assert _import_roots(root, None) == [root.resolve()]
    outside = tmp_path / "outside"
    outside.mkdir()
    assert _import_roots(root, outside) == [root.resolve()]


def test_a_missing_checkpoint_is_reported_at_the_path_the_suite_names(readme_project: Path) -> None:
    (readme_project / "ckpt" / "weights.npy").unlink()
    done = run(readme_project.parent, CONSOLE_SCRIPT, str(readme_project / "suites"))
    assert done.returncode == 1
    assert f"no weights at {readme_project / 'ckpt' / 'weights.npy'}" in done.stdout


def test_declared_path_params_of_built_in_and_third_party_adapters(tmp_path: Path) -> None:
    from pytest_scbench.models.geneformer import Geneformer
    from pytest_scbench.models.resolve import is_path_param
    from pytest_scbench.models.sclm import SCLM

    assert is_path_param(SCLM, "train_path") and is_path_param(SCLM, "save_path")
    assert is_path_param(Geneformer, "token_dictionary") and is_path_param(Geneformer, "gene_median_dictionary")
    assert not is_path_param(Geneformer, "gene_col")
    assert is_path_param(SCLM, "checkpoint") and is_path_param(SCLM, "path")


LOCAL_ADAPTER = '''
import sys
from pathlib import Path

import numpy as np

from pytest_scbench import ModelAdapter


class Local(ModelAdapter):
    provides = frozenset({"embedding"})
    reads_expression = False

    def embed(self, dataset, ctx):
        from mymodels import projection  # a submodule, imported when the model runs

        folder = str(Path(__file__).resolve().parents[1])
        Path("seen.txt").write_text(f"{folder in sys.path} {'torch' in sys.modules and sys.modules['torch'].__file__}")
        return projection.embed(dataset.n_obs)
'''


def test_the_suites_folder_is_on_sys_path_only_while_its_adapter_imports(project: pytest.Pytester) -> None:
    # a stray torch.py beside a suite must not shadow the real torch the run imports later
    suites = project.path / "suites"
    (suites / "mymodels").mkdir(parents=True)
    (suites / "mymodels" / "__init__.py").write_text(textwrap.dedent(LOCAL_ADAPTER))
    (suites / "mymodels" / "projection.py").write_text(
        "import numpy as np\n\ndef embed(n):\n    return np.random.default_rng(0).normal(size=(n, 3))\n"
    )
    (suites / "torch.py").write_text("raise ImportError('the stray torch.py beside the suite was imported')\n")
    write_suite(
        project,
        "name: demo\nmodels: [{name: local, adapter: 'mymodels:Local'}]\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
    )
    done = run(project.path, sys.executable, "-m", "pytest", "suites")
    assert done.returncode == 0, done.stdout + done.stderr
    on_path, torch_file = (project.path / "seen.txt").read_text().split(" ", 1)
    assert on_path == "False"
    assert "suites" not in torch_file  # the real torch, or none imported: never the stray one
