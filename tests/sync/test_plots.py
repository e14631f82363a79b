"""Charts of a calibration, and before/after score histograms, as image files."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from leadsync.scoring.calibrate import Calibration, calibrate
from leadsync.sync.plots import lift_chart, score_histograms, write_charts
from tests.scoring import synthetic
from tests.scoring.factories import example_config

PNG = b"\x89PNG\r\n\x1a\n"


@cache
def result() -> Calibration:
    return calibrate(synthetic.world(2_000, seed=9), example_config())


def test_calibrate_writes_lift_score_and_roc_charts_into_the_directory(tmp_path: Path) -> None:
    written = write_charts(result(), tmp_path / "charts")
    assert [p.name for p in written] == ["lift.png", "scores.png", "roc.png"]
    for path in written:
        assert path.read_bytes().startswith(PNG)
        height, width, _ = imread(path).shape
        assert width >= 400 and height >= 300


def test_the_lift_chart_grows_with_the_attributes_it_shows(tmp_path: Path) -> None:
    few = imread(lift_chart(result(), tmp_path / "few.png", top=3)).shape[0]
    many = imread(lift_chart(result(), tmp_path / "many.png", top=20)).shape[0]
    assert many > few


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_histograms_before_and_after_take_their_format_from_the_suffix(
    tmp_path: Path, suffix: str
) -> None:
    rng = np.random.default_rng(1)
    before = {"fit": rng.normal(20, 10, 500), "engagement": rng.exponential(10, 500),
              "total": rng.normal(40, 15, 500)}  # fmt: skip
    after = {name: values + 5 for name, values in before.items()}
    path = score_histograms(before, after, tmp_path / f"impact.{suffix}")
    content = path.read_bytes()
    if suffix == "png":
        assert content.startswith(PNG)
    else:
        assert content.startswith(b"<?xml") and b"<svg" in content[:500]


def test_a_score_present_on_one_side_only_still_gets_its_panel(tmp_path: Path) -> None:
    narrow = imread(score_histograms({"total": [1.0, 2.0]}, {"total": [2.0]}, tmp_path / "a.png"))
    wide = imread(score_histograms({"total": [1.0]}, {"fit": [3.0]}, tmp_path / "b.png"))
    assert wide.shape[1] > narrow.shape[1]
