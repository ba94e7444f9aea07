"""The notebooks of ``notebooks/``: stored clean, and run top to bottom by a real Jupyter
kernel (this interpreter's, with ipykernel) at their smallest setting, set in the cell
tagged "parameters" as papermill would."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
TINY_CRITIC = {"critic_kwargs": {"hidden": 8, "layers": 1}, "heldout_size": 128}


def smallest(name: str, tmp: Path) -> dict:
    """The smallest setting of the notebook ``name``, writing under ``tmp``."""
    return {
        "reproduce.ipynb": {
            "PROFILE": "smoke",
            "DATA": "synthetic",
            "SEEDS": 1,
            "JOBS": 1,
            "OUT": str(tmp / "results"),
            "TENSORBOARD": str(tmp / "tensorboard"),
            "COLAB_PICKLES": [str(colab_pickle(tmp / "mi_results.pkl"))],
        },
        "bounds_and_estimators.ipynb": {
            "SEEDS": 2,
            "STAIRCASE_STEPS": 20,
            "TASK_STEPS": 20,
            "EVALS": 2,
            "SETTINGS": TINY_CRITIC,
            "OUT": str(tmp / "estimates"),
        },
        "your_own_loop.ipynb": {"DATA": "synthetic", "STEPS": 5, "SEEDS": 2},
    }[name]


def colab_pickle(path: Path) -> Path:
    """A stand-in for the Colab's ``mi_results.pkl`` (its frame, pickled by pandas) with
    critic_impact's runs, to overlay on the smoke runs' figures."""
    critics = {"Bilinear": "bilinear", "Separable": "separable", "MLP": "concat"}
    bounds = {"$I_{NCE}$": "nce", "$I_{NWJ}$": "nwj"}
    rows = [
        {
            "exp_name": "critic_impact",
            "nets": "mlp",
            "Critic": critic,
            "Estimator": bound,
            "run": seed,
            "iteration": step,
            "bound_value": 1.0 + step / 8,
            "accuracy": 0.8 + step / 100,
            "label": f"mlp, {critics[critic]}, {bounds[bound]}",
        }
        for critic in critics
        for bound in bounds
        for seed in range(2)
        for step in (0, 4, 8)
    ]
    pd.DataFrame(rows).to_pickle(path, protocol=4)
    return path


def with_parameters(notebook, values: dict) -> None:
    """Papermill's convention: the values set in a cell after the one tagged "parameters"."""
    (index,) = [
        i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])
    ]
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    cell["id"] = "injected-parameters"
    notebook.cells.insert(index + 1, cell)


def this_interpreter_s_kernel(directory: Path):
    """A kernel manager whose kernel is this Python (and its installed mirl)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = directory / "mirl-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "mirl test", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    specs = KernelSpecManager(kernel_dirs=[str(directory)])
    return KernelManager(kernel_name="mirl-test", kernel_spec_manager=specs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_clean_with_an_install_cell_and_parameters(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "pip" in notebook.cells[0].source and 'find_spec("mirl") is None' in code[0].source
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_run_top_to_bottom_at_their_smallest_setting(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    with_parameters(notebook, smallest(path.name, tmp_path))
    client = nbclient.NotebookClient(
        notebook,
        km=this_interpreter_s_kernel(tmp_path / "kernels"),
        timeout=600,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    images = [
        o for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert images, "no figure was drawn inline"
    if path.name == "reproduce.ipynb":
        text = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
        assert "the paper's results imported from mi_results.pkl" in text
        assert (tmp_path / "results" / "report.html").exists()
        assert list((tmp_path / "tensorboard" / "critic_impact").glob("*/seed-0/events.*"))
