"""The pixel baseline and its file."""

from __future__ import annotations

import json

from mirl.data import ImageData, synthetic_mnist
from mirl.paper.baseline import BASELINE_FILE, ensure_baseline, pixel_baseline, read_baseline


def test_pixel_baseline_is_a_real_probe(data):
    accuracy = pixel_baseline(data, 0.05, "sklearn")
    assert 0.7 < accuracy < 0.95  # the fixture is separable but not trivially
    assert pixel_baseline(data, 0.05, "sklearn") == accuracy  # seeded


def test_the_baseline_file_is_keyed_by_its_data(tmp_path, data):
    first = ensure_baseline(tmp_path, data)
    assert first["data"] == data.identity
    assert read_baseline(tmp_path) == first
    other = ImageData.from_mnist(synthetic_mnist(seed=1), name="synthetic")
    second = ensure_baseline(tmp_path, other)
    assert second["data"]["sha256"] != first["data"]["sha256"]
    assert json.loads((tmp_path / BASELINE_FILE).read_text())["data"] == other.identity
