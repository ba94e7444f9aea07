import json

import pytest
import torch

from mirl.bench import project_paper_profile, run_bench
from mirl.cli import main
from mirl.data import ImageData, synthetic_mnist

REQUIRED = {"item", "device", "seeds", "ms_per_step", "steps_per_second_per_seed"}


@pytest.fixture(scope="module")
def records():
    data = ImageData.from_mnist(synthetic_mnist(n_train=600, n_test=200))
    return run_bench(
        torch.device("cpu"), [1, 2], ["critic_impact", "noniid"], data, steps=1, log=lambda _: None
    )


def test_bench_times_plain_and_stacked_steps_side_by_side(records):
    steps = [r for r in records if r["kind"] == "train_step"]
    assert all(r.keys() >= REQUIRED for r in steps)
    items = {r["item"] for r in steps}
    assert "noniid/noniid-infonce" in items and "critic_impact/mlp-concat-infonce" in items
    for item in items:
        modes = [(r["mode"], r["seeds"]) for r in steps if r["item"] == item]
        assert modes == [("plain", 1), ("stacked", 1), ("stacked", 2)]
    for r in steps:
        assert r["steps_per_second_per_seed"] == pytest.approx(1000 * r["seeds"] / r["ms_per_step"])


def test_bench_compares_the_probes_and_projects_the_paper_profile(records):
    probes = [r for r in records if r["kind"] == "probe"]
    assert {r["item"] for r in probes} == {"probe/dim100", "probe/dim392"}
    for r in probes:
        assert len(r["torch_accuracy"]) == len(r["saga_accuracy"]) == r["seeds"]
        assert r["max_abs_accuracy_difference"] >= 0
    (projection,) = [r for r in records if r["item"] == "paper_profile"]
    assert projection["probe"] == "sklearn" and projection["seeds"] == 2
    # Only timed architectures count: the 6 critic runs, the 4 encoder-impact MLP runs
    # (same networks as critic_impact's bilinear run) and the 4 non-iid runs, 20 seeds each.
    step = {
        r["item"]: r["ms_per_step"] / 1000
        for r in records
        if r.get("mode") == "stacked" and r["seeds"] == 2
    }
    evals = {r["item"]: r["seconds"] for r in records if r["kind"] == "evaluation"}
    critic_items = [i for i in step if i.startswith("critic_impact")]
    expected = 10 * 4 * 20000 * step["noniid/noniid-infonce"]  # 10 groups of 2 seeds
    for item in critic_items:
        runs = 2 + 4 * (item == "critic_impact/mlp-bilinear-infonce")
        expected += 10 * runs * (21000 * step[item] + 21 * evals[item])
    assert projection["seconds"] == pytest.approx(expected, rel=1e-6)


def test_projection_can_be_redone_from_stored_records(records, tmp_path, capsys):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(records))
    assert main(["bench", "--project", str(path)]) == 0
    minutes = (
        project_paper_profile([r for r in records if r["kind"] != "projection"], 2, {})[0][
            "seconds"
        ]
        / 60
    )
    assert f"groups of 2: {minutes:.1f} min" in capsys.readouterr().out
