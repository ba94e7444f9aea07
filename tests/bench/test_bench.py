"""``mirl bench`` on the CPU: the modes side by side, FLOPs and floors, the projection."""

import json

import pytest
import torch

from mirl.bench import run_bench
from mirl.bench.items import item_specs, make_trainer, step_flops
from mirl.cli import main
from mirl.data import ImageData, synthetic_mnist

REQUIRED = {
    "item",
    "device",
    "seeds",
    "ms_per_step",
    "steps_per_second_per_seed",
    "flops_per_step",
    "floor_ms",
    "floor_ratio",
}


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
        assert r["floor_ratio"] == pytest.approx(r["ms_per_step"] / r["floor_ms"])
        assert r["peak_source"].startswith("measured")


def test_flops_count_every_product_of_the_step_and_grow_with_k(data):
    (spec,) = [s for s in item_specs(["critic_impact"]) if s.critic == "bilinear"]
    one = step_flops(make_trainer(spec, [0], data))

    # Two MLP encoders [392, 300, 300, 100] and a bilinear critic at batch 128: each product
    # once forward and twice backward (input and weight gradients), except the encoders'
    # first layers, whose inputs need no gradient.
    def product(m: int, n: int) -> int:
        return 2 * 128 * m * n

    encoder = 2 * product(392, 300) + 3 * product(300, 300) + 3 * product(300, 100)
    critic = 3 * product(100, 100) + 3 * product(128, 100)
    assert one == 2 * encoder + critic == 322_252_800
    assert step_flops(make_trainer(spec, [0, 1, 2], data)) == pytest.approx(3 * one, rel=1e-6)
    assert step_flops(make_trainer(spec, [0], data, stacked=False)) == pytest.approx(one, rel=0.01)


def test_bench_compares_the_probes_and_projects_the_paper_profile(records):
    probes = [r for r in records if r["kind"] == "probe"]
    assert {r["item"] for r in probes} == {"probe/dim100", "probe/dim392"}
    for r in probes:
        assert len(r["torch_accuracy"]) == len(r["saga_accuracy"]) == r["seeds"]
        assert r["max_abs_accuracy_difference"] >= 0
    projections = {r["probe"]: r for r in records if r["item"] == "paper_profile"}
    assert projections.keys() == {"torch", "sklearn"}
    assert projections["torch"]["step_mode"] == "stacked" and projections["torch"]["seeds"] == 2
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
        expected += 10 * runs * (20000 * step[item] + 21 * evals[item])
    assert projections["torch"]["seconds"] == pytest.approx(expected, rel=1e-6)
    split = projections["torch"]["per_experiment_seconds"]
    assert sum(split.values()) == pytest.approx(expected, rel=1e-6)
    assert split["invertible"] == 0 and split["critic_impact"] > 0  # RealNVP was not timed
    assert projections["sklearn"]["seconds"] >= projections["torch"]["seconds"]


def test_projection_can_be_redone_from_stored_records(records, tmp_path, capsys):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(records))
    assert main(["bench", "--project", str(path)]) == 0
    assert "paper profile, torch probe, stacked steps, groups of 2" in capsys.readouterr().out


STEP = {"kind": "train_step", "item": "noniid/noniid-infonce", "mode": "stacked", "seeds": 2}
STEP |= {"ms_per_step": 1.5, "device": "cpu"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", r"it is not JSON \(Expecting value, line 1\)"),
        (b"\xff\xfe", r"it is not a JSON file \(not UTF-8 text\)"),
        (b"null", "it is not a list of records, as mirl bench --out writes them"),
        (b'{"kind": 1}', "it is not a list of records"),
        (b"[1, 2]", "it is not a list of records"),
        (b"[{}]", "record 0 has no kind"),
        (b"[]", r"it holds no timed training steps \(kind train_step\): nothing to project"),
        (b'[{"kind": "step"}]', "it holds no timed training steps"),
        (
            json.dumps([{**STEP, "seeds": 0}]).encode(),
            r"record 0 \(train_step\) has no valid 'seeds': got 0",
        ),
        (
            json.dumps([{**STEP, "ms_per_step": "x"}]).encode(),
            r"record 0 \(train_step\) has no valid 'ms_per_step': got 'x'",
        ),
        (json.dumps([STEP, {"kind": "probe"}]).encode(), r"record 1 \(probe\) has no valid 'item'"),
    ],
)
def test_projection_of_a_bad_file_is_a_one_line_error_in_words(tmp_path, content, reason):
    path = tmp_path / "bench.json"
    path.write_bytes(content)
    with pytest.raises(SystemExit, match=f"^mirl: cannot read bench records from .*: {reason}"):
        main(["bench", "--project", str(path)])


@pytest.mark.parametrize(("name", "reason"), [("missing.json", "No such file"), ("", "Is a dir")])
def test_projection_of_a_file_it_cannot_read_names_why(tmp_path, name, reason):
    with pytest.raises(SystemExit, match=f"^mirl: cannot read bench records from .*: {reason}"):
        main(["bench", "--project", str(tmp_path / name)])


def test_a_file_of_good_records_is_projected(tmp_path, capsys):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps([STEP]))
    assert main(["bench", "--project", str(path)]) == 0
    assert "paper profile, torch probe, stacked steps, groups of 2" in capsys.readouterr().out
