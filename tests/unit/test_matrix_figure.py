"""The matrix figure: where each number lands, what hover says, how clicks decode."""

from __future__ import annotations

import math

import numpy as np
import pytest

from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import (
    LINES_MAX_CLASSES,
    ZW,
    CellTarget,
    MatrixStyle,
    apply_update,
    brightness,
    build_matrix_figure,
    colorscale_update,
    decode_click,
    drawn_style,
    epoch_marker_update,
    matrix_geometry,
    ramp_colorscale,
)
from confusionflow.data_access.views import MatrixValues, detail_values, matrix_values
from tests.factories import make_tensor, random_counts, unique_counts

CLASSES = ("cat", "dog", "owl")
STEPS = np.array([1.0, 2.0, 5.0, 10.0])  # real step numbers with gaps, not indices


def make_values(
    counts: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
    normalization: str | None = None,
    runs: tuple[str, ...] = ("runA", "runB"),
) -> MatrixValues:
    # every entry unique: 1000*s + 100*t + 10*i + j + 1
    counts = unique_counts(len(runs), len(STEPS)) if counts is None else counts
    tensor = make_tensor(counts, STEPS[: counts.shape[1]], CLASSES, runs, mask=mask)
    return matrix_values(tensor, normalization)  # type: ignore[arg-type]


def marker_xs(shapes) -> list[float]:
    """x of each marker line (its segments ``M{x},{y0}V{y1}``, one per tile it crosses) of the one
    epoch path shape."""
    assert len(shapes) == 1 and shapes[0]["type"] == "path"
    return list(dict.fromkeys(float(seg.split(",")[0]) for seg in shapes[0]["path"].split("M")[1:]))


def marker_ys(shapes) -> list[float]:
    """y of each marker line (its segments ``M{x0},{y}H{x1}``; rotated layout)."""
    assert len(shapes) == 1 and shapes[0]["type"] == "path"
    return list(
        dict.fromkeys(float(seg.split(",")[1].split("H")[0]) for seg in shapes[0]["path"].split("M")[1:])
    )


def trace(fig, geo, kind: str, region: str, **kw):
    return fig.data[geo.trace_index(kind, region, **kw)]


def z_of(fig, geo, region: str) -> np.ndarray:
    return np.asarray(trace(fig, geo, "values", region).z, dtype=np.float64)


# ------------------------------------------------------------------------------ heatmap positions
def test_cell_value_lands_in_its_series_strip_at_its_step_column():
    values = make_values()
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    assert geo.strip_rows == 2  # two series: each strip is two grid rows so tiles stay squarish
    z = z_of(fig, geo, "cell")
    true, pred, series, step = 1, 2, 1, 3
    row = int(geo.y.start(true)) + series * geo.strip_rows
    col = int(geo.x.start(pred)) + step
    expected = 1000 * 1 + 100 * 3 + 10 * 1 + 2 + 1
    assert z[row, col] == expected
    assert z[row + 1, col] == expected  # the strip's second row repeats it
    assert z[row - 2, col] == 100 * 3 + 10 * 1 + 2 + 1  # series 0 just above


def test_tiles_are_separated_by_nan_gaps_and_the_diagonal_is_empty():
    values = make_values()
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    z = z_of(fig, geo, "cell")
    gap_col = int(geo.x.start(1)) - 1
    assert np.isnan(z[:, gap_col]).all()
    gap_row = int(geo.y.start(1)) - 1
    assert np.isnan(z[gap_row, :]).all()
    for i in range(3):
        r0, c0 = int(geo.y.start(i)), int(geo.x.start(i))
        assert np.isnan(z[r0 : r0 + 4, c0 : c0 + 4]).all()
    annotations = [a.text for a in fig.layout.annotations]
    assert annotations == list(CLASSES)


def test_fn_column_fp_row_and_accuracy_corner_hold_their_values():
    values = make_values()
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    k = geo.strip_rows
    fn, fp, acc = z_of(fig, geo, "fn"), z_of(fig, geo, "fp"), z_of(fig, geo, "accuracy")
    c = values.counts
    # class dog (1), series runB (1), step index 2: FN = row sum - diagonal
    assert fn[int(geo.y.start(1)) + 1 * k, 2] == c[1, 2, 1].sum() - c[1, 2, 1, 1]
    # class owl (2) as prediction, series runA (0), step index 0: FP = column sum - diagonal
    assert fp[0, int(geo.x.start(2)) + 0] == c[0, 0, :, 2].sum() - c[0, 0, 2, 2]
    assert acc[1 * k, 3] == pytest.approx(np.trace(c[1, 3]) / c[1, 3].sum(), rel=1e-6)
    # the FN column and FP row sit after a gap wider than the gap between tiles
    assert geo.x.wide > geo.x.gap and geo.y.wide > geo.y.gap
    assert trace(fig, geo, "values", "fn").x0 == geo.x.start(3) == geo.x.main_extent + geo.x.wide


def test_steps_a_series_did_not_log_stay_nan_and_are_drawn_as_missing():
    mask = np.ones((2, 4), dtype=bool)
    mask[1, 2] = False
    values = make_values(mask=mask)
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    z = z_of(fig, geo, "cell")
    hue = np.asarray(trace(fig, geo, "hue", "cell").z)
    row, col = int(geo.y.start(0)) + 2, int(geo.x.start(1)) + 2
    assert np.isnan(z[row, col])
    assert hue[row, col] == 2  # index S = "missing" grey, not a series colour
    assert hue[row, col + 1] == 1  # the next step is logged: series colour
    assert np.isnan(z_of(fig, geo, "accuracy")[2, 2])
    assert np.isnan(z_of(fig, geo, "fn")[2, 2])
    assert not trace(fig, geo, "values", "cell").hoverongaps


def test_each_series_strip_gets_its_colour_and_gaps_are_transparent():
    values = make_values()
    style = MatrixStyle()
    colors = ["#112233", "#445566"]
    fig = build_matrix_figure(values, colors, style)
    geo = matrix_geometry(3, 2, 4, style)
    hue_trace = trace(fig, geo, "hue", "cell")
    hue = np.asarray(hue_trace.z)
    scale = {
        round(p * (hue_trace.zmax - hue_trace.zmin) + hue_trace.zmin): col for p, col in hue_trace.colorscale
    }
    row0, row1 = int(geo.y.start(0)), int(geo.y.start(0)) + 2
    col = int(geo.x.start(1))
    assert scale[hue[row0, col]] == "#112233"
    assert scale[hue[row1, col]] == "#445566"
    assert scale[hue[row0, col - 1]] == "rgba(0,0,0,0)"  # the gap column before tile 1
    assert hue.dtype == np.uint8 and 255 not in np.unique(hue)  # no 0xFF bytes in the payload


def test_fewer_colours_than_series_is_a_clear_error():
    with pytest.raises(ValueError, match="2 series need 2 colours"):
        build_matrix_figure(make_values(), ["#000000"], MatrixStyle())


# ----------------------------------------------------------------------------------------- hover
def test_hover_labels_name_true_and_predicted_class_series_and_real_epoch():
    values = make_values()
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    xcats = list(fig.layout.xaxis.categoryarray)
    ycats = list(fig.layout.yaxis.categoryarray)
    assert len(xcats) == len(set(xcats)) and len(ycats) == len(set(ycats))
    assert xcats[int(geo.x.start(2)) + 3] == "pred: owl · epoch 10"
    assert ycats[int(geo.y.start(1)) + 2] == "true: dog · runB / test"
    assert ycats[int(geo.y.start(1)) + 3] == "true: dog · runB / test" + ZW  # repeated strip row
    assert xcats[int(geo.x.start(3)) + 1] == "epoch 2"  # FN column: the template says "false negatives"
    assert ycats[int(geo.y.start(3))] == "runA / test"
    cell = trace(fig, geo, "values", "cell")
    assert cell.hovertemplate == "%{y}<br>%{x}<br>%{z:,.0f} instances<extra></extra>"
    fn, fp = trace(fig, geo, "values", "fn"), trace(fig, geo, "values", "fp")
    # the FN/FP sentences name the class of the tile (its text), not an axis label
    assert fn.hovertemplate.startswith(
        "%{text}: %{z:,.0f} false negatives (instances of %{text} predicted as another class)<br>"
    )
    assert fp.hovertemplate.startswith(
        "%{text}: %{z:,.0f} false positives (instances of another class predicted as %{text})<br>"
    )
    assert fn.text[int(geo.y.start(1)) + 2][0] == "dog"
    assert fp.text[0][int(geo.x.start(2)) + 3] == "owl"
    assert "accuracy %{z:.1%}" in trace(fig, geo, "values", "accuracy").hovertemplate
    assert cell.customdata is None  # absolute mode: the value is the count, nothing extra sent


def test_relative_mode_on_an_unbalanced_fold_shows_share_and_count():
    counts = np.zeros((1, 4, 3, 3), dtype=np.int64)
    counts[:, :] = [[90, 8, 2], [1, 4, 5], [0, 0, 10]]  # cat has 100 instances, dog 10, owl 10
    values = make_values(counts, normalization="true", runs=("runA",))
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 1, 4, style)
    cell = trace(fig, geo, "values", "cell")
    z = np.asarray(cell.z, dtype=np.float64)
    custom = np.asarray(cell.customdata)
    r_cat, r_dog = int(geo.y.start(0)), int(geo.y.start(1))
    c_dog, c_owl = int(geo.x.start(1)), int(geo.x.start(2))
    assert z[r_cat, c_dog] == pytest.approx(0.08)  # 8 of cat's 100
    assert z[r_dog, c_owl] == pytest.approx(0.5)  # 5 of dog's 10: same colour scale, honest share
    assert custom[r_cat, c_dog] == 8 and custom[r_dog, c_owl] == 5
    assert custom.dtype == np.uint16
    assert "of the true class's instances (row total) (%{customdata:,} instances)" in cell.hovertemplate
    fn = trace(fig, geo, "values", "fn")
    assert np.asarray(fn.z, dtype=np.float64)[r_dog, 0] == pytest.approx(0.6)  # 6 of 10 dogs missed
    assert np.asarray(fn.customdata)[r_dog, 0] == 6
    assert "%{z:.1%} of the true class's instances (row total)" in fn.hovertemplate
    # FP of owl: 7 of the 17 predictions of owl are wrong -> 7/17, named as a share of predictions
    fp = trace(fig, geo, "values", "fp")
    fp_z = np.asarray(fp.z, dtype=np.float64)
    assert fp_z[0, c_owl] == pytest.approx(7 / 17)
    assert "%{z:.1%} of the class's predictions (column total)" in fp.hovertemplate
    assert np.nanmax(fp_z) <= 1.0
    pred = build_matrix_figure(make_values(counts, normalization="pred", runs=("runA",)), PALETTE, style)
    assert "of the class's predictions (column total)" in trace(pred, geo, "values", "cell").hovertemplate


# ----------------------------------------------------------------------------------- colour scale
def test_z_keeps_true_values_and_log_scale_only_changes_the_colour_scale():
    values = make_values()
    lin, log = MatrixStyle(), MatrixStyle(scale="log")
    geo = matrix_geometry(3, 2, 4, lin)
    f_lin = build_matrix_figure(values, PALETTE, lin)
    f_log = build_matrix_figure(values, PALETTE, log)
    np.testing.assert_array_equal(z_of(f_lin, geo, "cell"), z_of(f_log, geo, "cell"))
    assert trace(f_lin, geo, "values", "cell").colorscale != trace(f_log, geo, "values", "cell").colorscale
    upd = colorscale_update(values, log, geo)
    bars = {len(geo.traces) + k for k in range(3)}  # the colour bars of the three scales
    assert set(upd["data"]) == {geo.trace_index("values", r) for r in ("cell", "fn", "fp")} | bars
    patched = apply_update(f_lin.to_plotly_json(), upd)
    assert patched["data"][geo.trace_index("values", "cell")]["colorscale"] == [
        list(s) for s in trace(f_log, geo, "values", "cell").colorscale
    ]


def test_log_brightness_makes_a_single_instance_visible_and_keeps_the_maximum_full():
    vmax, eps = 1000.0, 1.0
    lin, log = MatrixStyle(), MatrixStyle(scale="log")
    one = np.array([1 / vmax])
    assert brightness(one, lin, vmax, eps)[0] == pytest.approx(0.001)
    assert brightness(one, log, vmax, eps)[0] == pytest.approx(math.log(2) / math.log(1001))
    assert brightness(np.array([1.0]), log, vmax, eps)[0] == pytest.approx(1.0)
    gamma = MatrixStyle(gamma=0.5)
    assert brightness(np.array([0.25]), gamma, vmax, eps)[0] == pytest.approx(0.5)


def test_ramp_colour_scale_follows_the_log_curve_between_stops():
    vmax, eps = 1000.0, 1.0
    style = MatrixStyle(scale="log")
    stops = ramp_colorscale(style, vmax, eps)
    pos = np.array([p for p, _ in stops])
    alpha = np.array([float(c.rsplit(",", 1)[1].rstrip(")")) for _, c in stops])
    assert pos[0] == 0 and pos[-1] == 1 and (np.diff(pos) > 0).all()
    assert alpha[-1] == 0  # the largest value shows the pure series colour
    assert alpha[0] == pytest.approx(0.9)  # zero: a faint tint, unlike a missing step
    u = 10 / vmax  # 10 instances, between stops
    expected_tint = 0.1 + 0.9 * brightness(np.array([u]), style, vmax, eps)[0]
    assert 1 - np.interp(u, pos, alpha) == pytest.approx(expected_tint, abs=0.02)


def test_invalid_style_is_rejected():
    with pytest.raises(ValueError, match="gamma"):
        MatrixStyle(gamma=0)
    with pytest.raises(ValueError, match="encoding"):
        MatrixStyle(encoding="bars")


# ---------------------------------------------------------------------------------------- rotate
def test_rotated_layout_runs_time_down_and_series_across():
    values = make_values()
    style = MatrixStyle(rotate=True)
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    assert (geo.x.inner, geo.y.inner) == (4, 4)  # 2 series x 2 columns each; 4 steps
    z = z_of(fig, geo, "cell")
    true, pred, series, step = 1, 2, 1, 3
    row = int(geo.y.start(true)) + step
    col = int(geo.x.start(pred)) + series * geo.strip_rows
    assert z[row, col] == 1000 * 1 + 100 * 3 + 10 * 1 + 2 + 1
    assert list(fig.layout.yaxis.categoryarray)[row] == "true: dog · epoch 10"
    assert list(fig.layout.xaxis.categoryarray)[col] == "pred: owl · runB / test"
    shapes = build_matrix_figure(values, PALETTE, MatrixStyle(rotate=True, epoch=5)).layout.shapes
    assert marker_ys(shapes) == [geo.y.start(i) + 2 for i in range(4)]  # horizontal markers
    assert "V" not in shapes[0].path


# ------------------------------------------------------------------------------------------ click
@pytest.fixture
def heat():
    style = MatrixStyle()
    return matrix_geometry(3, 2, 4, style)


def test_decode_click_on_a_strip_gives_cell_series_and_step(heat):
    geo = heat
    n = geo.trace_index("values", "cell")
    row = int(geo.y.start(2)) + 1 * geo.strip_rows + 1
    col = int(geo.x.start(0)) + 3
    point = {"curveNumber": n, "pointNumber": [row, col], "x": "pred: cat · epoch 10", "y": "true: owl"}
    assert decode_click(point, geo) == CellTarget("cell", 2, 0, series=1, step_index=3)


def test_decode_click_on_fn_fp_and_accuracy(heat):
    geo = heat
    fn = {"curveNumber": geo.trace_index("values", "fn"), "pointNumber": [int(geo.y.start(1)), 2]}
    fp = {"curveNumber": geo.trace_index("values", "fp"), "pointNumber": [3, int(geo.x.start(2)) + 1]}
    acc = {"curveNumber": geo.trace_index("values", "accuracy"), "pointNumber": [0, 0]}
    assert decode_click(fn, geo) == CellTarget("fn", 1, None, series=0, step_index=2)
    assert decode_click(fp, geo) == CellTarget("fp", None, 2, series=1, step_index=1)
    assert decode_click(acc, geo) == CellTarget("accuracy", None, None, series=0, step_index=0)


def test_decode_click_on_the_diagonal_a_missing_step_and_the_fn_column_background(heat):
    geo = heat
    hue = geo.trace_index("hue", "cell")
    assert hue == 0  # the hue layer spans the whole grid and receives clicks where values are NaN
    diag = [int(geo.y.start(1)) + 1, int(geo.x.start(1)) + 2]
    assert decode_click({"curveNumber": hue, "pointNumber": diag}, geo) == CellTarget("cell", 1, 1, 0, 2)
    fn = [int(geo.y.start(2)) + 3, int(geo.x.start(3)) + 1]
    assert decode_click({"curveNumber": hue, "pointNumber": fn}, geo) == CellTarget("fn", 2, None, 1, 1)
    corner = [int(geo.y.start(3)), int(geo.x.start(3))]
    assert decode_click({"curveNumber": hue, "pointNumber": corner}, geo) == CellTarget(
        "accuracy", None, None, 0, 0
    )


def test_decode_click_in_a_gap_or_outside_the_trace_gives_none(heat):
    geo = heat
    n = geo.trace_index("values", "cell")
    gap_col = int(geo.x.start(1)) - 1
    assert decode_click({"curveNumber": n, "pointNumber": [0, gap_col]}, geo) is None
    gap_row = int(geo.y.start(1)) - 1
    assert decode_click({"curveNumber": n, "pointNumber": [gap_row, 0]}, geo) is None
    wide_gap = int(geo.x.main_extent) + 1
    assert decode_click({"curveNumber": 0, "pointNumber": [0, wide_gap]}, geo) is None
    # Plotly reports bricks past the end of z on categorical axes: not a real point
    acc = geo.trace_index("values", "accuracy")
    assert decode_click({"curveNumber": acc, "pointNumber": [3, 33]}, geo) is None
    assert decode_click({"curveNumber": 0, "pointNumber": [0, int(geo.x.total)]}, geo) is None
    assert decode_click({"curveNumber": 99, "pointNumber": [0, 0]}, geo) is None
    assert decode_click({"pointNumber": [0, 0]}, geo) is None


def test_decode_click_on_a_rotated_strip():
    style = MatrixStyle(rotate=True)
    geo = matrix_geometry(3, 2, 4, style)
    n = geo.trace_index("values", "cell")
    point = {"curveNumber": n, "pointNumber": [int(geo.y.start(0)) + 2, int(geo.x.start(1)) + 3]}
    assert decode_click(point, geo) == CellTarget("cell", 0, 1, series=1, step_index=2)


# ----------------------------------------------------------------------------------------- epoch
def test_epoch_marker_sits_on_the_epochs_column_in_every_tile_column():
    values = make_values()
    style = MatrixStyle(epoch=5)
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    assert marker_xs(fig.layout.shapes) == [geo.x.start(j) + 2 for j in range(4)]  # step 5: 3rd step
    assert fig.layout.shapes[0].line.dash == "dash"
    x = geo.x.start(1) + 2  # column 1: from the top through row 0, then past its diagonal tile
    assert f"M{x:g},-0.5V{geo.y.inner - 0.5:g}M{x:g},{geo.y.start(2) - 0.5:g}V" in fig.layout.shapes[0].path
    assert build_matrix_figure(values, PALETTE, MatrixStyle()).layout.shapes == ()
    assert build_matrix_figure(values, PALETTE, MatrixStyle(epoch=99)).layout.shapes == ()


def test_epoch_marker_update_patches_shapes_only_in_heatmap_mode():
    values = make_values()
    style = MatrixStyle(epoch=10)
    geo = matrix_geometry(3, 2, 4, style)
    upd = epoch_marker_update(values, style, geo)
    assert upd["data"] == {}
    assert marker_xs(upd["shapes"]) == [geo.x.start(j) + 3 for j in range(4)]
    fig = build_matrix_figure(values, PALETTE, MatrixStyle(epoch=1)).to_plotly_json()
    assert marker_xs(fig["layout"]["shapes"]) == [geo.x.start(j) + 0 for j in range(4)]
    apply_update(fig, upd)
    assert marker_xs(fig["layout"]["shapes"]) == [geo.x.start(j) + 3 for j in range(4)]
    cleared = epoch_marker_update(values, MatrixStyle(), geo)
    assert cleared["shapes"] == []


# ----------------------------------------------------------------------------------------- lines
def test_lines_one_trace_per_series_and_row_with_nan_breaks_and_real_values():
    mask = np.ones((2, 4), dtype=bool)
    mask[0, 1] = False
    values = make_values(mask=mask)
    style = MatrixStyle(encoding="lines")
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    assert len(fig.data) == 4 + 2 * (3 + 3)
    tr = trace(fig, geo, "line", "cell", series=1, row=2)
    y = np.asarray(tr.y, dtype=np.float64)
    custom = np.asarray(tr.customdata, dtype=np.float64)
    assert len(tr.x) == len(y) == 3 * 5  # 3 tiles x (4 steps + 1 break)
    assert tr.x[5 + 3] == "pred: dog · epoch 10" and tr.x[4] is None and np.isnan(y[4])
    assert custom[5 + 3] == values.counts[1, 3, 2, 1]
    assert np.isnan(y[10:14]).all()  # diagonal tile (owl, owl) is not drawn
    assert "true: owl · runB / test" in tr.hovertemplate and "%{x}" in tr.hovertemplate
    assert tr.line.color == PALETTE[1]
    # the larger value sits higher (smaller y: the axis points down) inside the row's tile
    top, bottom = geo.y.start(2), geo.y.start(2) + geo.y.inner
    assert ((y[np.isfinite(y)] >= top) & (y[np.isfinite(y)] <= bottom)).all()
    masked = np.asarray(trace(fig, geo, "line", "cell", series=0, row=0).y, dtype=np.float64)
    assert np.isnan(masked[5 + 1])  # series 0 did not log step 2: a gap, not a zero
    assert np.isfinite(masked[5 + 0]) and np.isfinite(masked[5 + 2])


def test_lines_background_gives_each_series_its_own_band_at_the_epoch():
    mask = np.ones((2, 4), dtype=bool)
    mask[1, 3] = False  # runB did not log step 10: its band there is empty, runA's is not
    values = make_values(mask=mask)
    style = MatrixStyle(encoding="lines", epoch=2)
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(3, 2, 4, style)
    bg = trace(fig, geo, "background", "cell")
    z = np.asarray(bg.z, dtype=np.float64)
    assert z.shape == (3 * 3 - 1, 3)  # per tile row: a band per series, then a gap row
    cells = values.values.copy()
    cells[..., [0, 1, 2], [0, 1, 2]] = np.nan
    vmax = np.nanmax(cells)
    # tile (true 0, pred 1) at step 2 (index 1): runA's band, then runB's, each its own value
    assert z[0, 1] == pytest.approx(cells[0, 1, 0, 1] / vmax, rel=1e-6)
    assert z[1, 1] == pytest.approx(cells[1, 1, 0, 1] / vmax, rel=1e-6)
    assert z[0, 1] != pytest.approx(z[1, 1])  # not one mean for both
    assert np.isnan(z[2]).all()  # the gap row between tile rows 0 and 1
    assert z[3 + 1, 1] == -1.0  # the diagonal (true 1, pred 1): no band, the class name is there
    # the bands' edges: tile row i split in two at its middle, the gap row up to the next tile
    i, inner = 1, geo.y.inner
    assert list(bg.y[3:6]) == pytest.approx(
        [geo.y.start(i), geo.y.start(i) + inner / 2, geo.y.start(i) + inner]
    )
    assert bg.y[6] == pytest.approx(geo.y.start(2))
    assert "runB" in bg.text[1][1] and "epoch 2" in bg.text[1][1] and "mean" not in bg.text[1][1]
    upd = epoch_marker_update(values, MatrixStyle(encoding="lines", epoch=10), geo)
    moved = upd["data"][geo.trace_index("background", "cell")]
    z10 = np.asarray(moved["z"], dtype=np.float64)
    assert z10[0, 1] == pytest.approx(cells[0, 3, 0, 1] / vmax, rel=1e-6)
    assert z10[1, 1] == -1.0 and "runB / test: not logged at epoch 10" in moved["text"][1][1]
    assert "runA / test at epoch 10" in moved["text"][0][1]
    # accuracy: one band per series too
    acc = np.asarray(upd["data"][geo.trace_index("background", "accuracy")]["z"], dtype=np.float64)
    assert acc[:, 0] == pytest.approx([values.accuracy[0, 3], -1.0])
    assert colorscale_update(values, style, geo) is None  # lines move: the caller rebuilds
    # the dashed marker still runs through the tiles only: never a gap, never a diagonal tile
    [marker] = [sh for sh in upd["shapes"] if sh["name"] == "epoch-marker"]
    for seg in marker["path"].split("M")[1:]:
        x, span = seg.split(",")
        y0, y1 = (float(v) for v in span.split("V"))
        column = next(j for j in range(4) if geo.x.start(j) <= float(x) < geo.x.start(j) + geo.x.inner)
        row = next(i for i in range(4) if geo.y.start(i) == pytest.approx(y0))
        assert y1 == pytest.approx(geo.y.start(row) + geo.y.inner)  # ends where the tile ends
        assert row != column or row == 3  # the diagonal tile carries the class name


def test_decode_click_on_line_points():
    style = MatrixStyle(encoding="lines")
    geo = matrix_geometry(3, 2, 4, style)
    row_trace = geo.trace_index("line", "cell", series=1, row=2)
    assert decode_click({"curveNumber": row_trace, "pointIndex": 5 + 3}, geo) == CellTarget(
        "cell", 2, 1, series=1, step_index=3
    )
    assert decode_click({"curveNumber": row_trace, "pointIndex": 4}, geo) is None  # the break point
    fn = geo.trace_index("line", "fn", series=0)
    assert decode_click({"curveNumber": fn, "pointIndex": 2 * 5 + 1}, geo) == CellTarget(
        "fn", 2, None, series=0, step_index=1
    )
    fp = geo.trace_index("line", "fp", series=0)
    assert decode_click({"curveNumber": fp, "pointIndex": 1 * 5}, geo) == CellTarget("fp", None, 1, 0, 0)
    bg = geo.trace_index("background", "accuracy")
    assert decode_click({"curveNumber": bg, "pointNumber": [1, 0]}, geo) == CellTarget(
        "accuracy", None, None, 1
    )
    cell_bg = geo.trace_index("background", "cell")
    assert decode_click({"curveNumber": cell_bg, "pointNumber": [3, 2]}, geo) == CellTarget("cell", 1, 2, 0)
    assert decode_click({"curveNumber": cell_bg, "pointNumber": [2, 2]}, geo) is None  # a gap row


def test_lines_over_many_steps_average_steps_to_bound_the_payload():
    c, s, t = 20, 3, 200
    names = tuple(f"k{i}" for i in range(c))
    counts = random_counts((s, t, c, c), seed=2, high=30)
    tensor = make_tensor(counts, np.arange(t, dtype=float), names)
    style = MatrixStyle(encoding="lines")
    geo = matrix_geometry(c, s, t, style)
    b = geo.time_bin
    assert b == 3 and geo.n_time_columns == 67
    fig = build_matrix_figure(matrix_values(tensor), PALETTE, style)
    tr = trace(fig, geo, "line", "cell", series=2, row=4)
    assert len(tr.y) == c * (67 + 1)
    point = 1 * 68 + 5  # tile (4, 1), time column 5 = steps 15..17
    assert tr.x[point] == "pred: k1 · epochs 15–17"
    assert np.asarray(tr.customdata, dtype=np.float64)[point] == pytest.approx(
        counts[2, 15:18, 4, 1].mean(), rel=1e-5
    )
    assert "(mean over the epochs)" in tr.hovertemplate
    hit = decode_click(
        {"curveNumber": geo.trace_index("line", "cell", series=2, row=4), "pointIndex": point}, geo
    )
    assert hit == CellTarget("cell", 4, 1, series=2, step_index=15)
    n_points = sum(len(d.y) for d in fig.data if d.type == "scatter")
    assert n_points <= 120_000


def test_lines_above_the_class_limit_fall_back_to_heatmaps_with_a_note():
    c = LINES_MAX_CLASSES + 1
    names = tuple(f"k{i}" for i in range(c))
    counts = np.ones((1, 2, c, c), dtype=np.int64)
    tensor = make_tensor(counts, [0.0, 1.0], names, ("r",), fold="f")
    fig = build_matrix_figure(matrix_values(tensor), PALETTE, MatrixStyle(encoding="lines"))
    assert {t.type for t in fig.data if not (t.name or "").endswith(" scale")} == {"heatmap"}  # bars aside
    assert any("Line encoding shows up to" in a.text for a in fig.layout.annotations)


# ----------------------------------------------------------------------------------------- edges
@pytest.mark.parametrize("encoding", ["heatmap", "lines"])
def test_empty_input_gives_a_nothing_selected_figure(encoding):
    values = make_values()
    no_steps = MatrixValues(
        values.tensor,
        None,
        values.values[:, :0],
        values.counts[:, :0],
        values.fn[:, :0],
        values.fp[:, :0],
        values.fn_counts[:, :0],
        values.fp_counts[:, :0],
        values.accuracy[:, :0],
    )
    fig = build_matrix_figure(no_steps, PALETTE, MatrixStyle(encoding=encoding))
    assert len(fig.data) == 0
    assert "Nothing selected" in fig.layout.annotations[0].text
    geo = matrix_geometry(3, 0, 4, MatrixStyle())
    assert geo.empty and geo.traces == ()
    assert decode_click({"curveNumber": 0, "pointNumber": [0, 0]}, geo) is None


def test_hundred_classes_build_with_compact_dtypes():
    c, s, t = 100, 2, 10
    names = tuple(f"class{i}" for i in range(c))
    tensor = make_tensor(random_counts((s, t, c, c), seed=0), np.arange(t, dtype=float), names)
    style = MatrixStyle()
    fig = build_matrix_figure(matrix_values(tensor), PALETTE, style)
    geo = matrix_geometry(c, s, t, style)
    z = trace(fig, geo, "values", "cell").z
    assert z.dtype == np.float32 and z.shape == (geo.y.main_extent, geo.x.main_extent)
    assert len(fig.data) == 5 + 3  # hue, four value layers, three colour bars
    assert geo.time_bin == 1
    assert fig.layout.height > 1000  # grows with the class count


def test_large_matrices_over_many_steps_average_steps_into_columns_and_say_so():
    c, s, t = 100, 3, 100
    names = tuple(f"class{i}" for i in range(c))
    counts = random_counts((s, t, c, c), seed=1)
    mask = np.ones((s, t), dtype=bool)
    mask[2, 1] = False
    tensor = make_tensor(counts, np.arange(t, dtype=float) * 2, names, mask=mask)
    values = matrix_values(tensor)
    style = MatrixStyle(epoch=50)
    geo = matrix_geometry(c, s, t, style)
    b = geo.time_bin
    assert b > 1 and geo.x.inner == geo.n_time_columns == -(-t // b)
    assert geo.x.total * geo.y.total <= 600_000
    fig = build_matrix_figure(values, PALETTE, style)
    z = np.asarray(trace(fig, geo, "values", "cell").z, dtype=np.float64)
    row, col = int(geo.y.start(3)) + 2, int(geo.x.start(7)) + 0
    # series 2, first time column: mean over the logged steps only (step index 1 was not logged)
    logged = [counts[2, i, 3, 7] for i in range(b) if i != 1]
    assert z[row, col] == pytest.approx(np.mean(logged), rel=1e-5)
    assert (
        list(fig.layout.xaxis.categoryarray)[int(geo.x.start(7))] == f"pred: class7 · epochs 0–{2 * (b - 1)}"
    )
    assert "(mean over the epochs)" in trace(fig, geo, "values", "cell").hovertemplate
    assert any("each column is the mean of" in a.text for a in fig.layout.annotations)
    assert marker_xs(fig.layout.shapes)[0] == 25 // b  # step 50 is index 25
    n = geo.trace_index("values", "cell")
    hit = decode_click({"curveNumber": n, "pointNumber": [row, int(geo.x.start(7)) + 2]}, geo)
    assert hit == CellTarget("cell", 3, 7, series=2, step_index=2 * b)


# ---------------------------------------------------------------------------------------- detail
def test_detail_values_give_the_numbers_a_click_shows():
    # what a click on a tile, the FN column, the FP row or the corner plots in the detail chart
    counts = np.zeros((1, 4, 3, 3), dtype=np.int64)
    counts[:, :] = [[90, 8, 2], [1, 4, 5], [0, 0, 10]]
    tensor = make_tensor(counts, STEPS, CLASSES, ("runA",))
    cell = detail_values(tensor, "cell", 0, 1, "true")
    assert cell.percent and cell.values[0, 0] == pytest.approx(0.08) and cell.counts[0, 0] == 8
    fn = detail_values(tensor, "fn", 1, None, "true")
    assert fn.values[0, 2] == pytest.approx(0.6) and fn.counts[0, 2] == 6
    fp = detail_values(tensor, "fp", None, 2)
    assert not fp.percent and fp.values[0, 1] == 7
    acc = detail_values(tensor, "accuracy")
    assert acc.values[0, 0] == pytest.approx(104 / 120)


def test_the_line_to_heatmap_fallback_is_decided_once_and_says_so():
    lines = MatrixStyle(encoding="lines", epoch=5)
    assert drawn_style(3, lines) == (lines, None)
    fallback, note = drawn_style(LINES_MAX_CLASSES + 1, MatrixStyle(encoding="lines", rotate=True, epoch=5))
    assert fallback == MatrixStyle(encoding="heatmap", rotate=False, epoch=5)
    assert note is not None and f"up to {LINES_MAX_CLASSES} classes" in note
    assert matrix_geometry(3, 2, 4, drawn_style(3, MatrixStyle())[0]) == matrix_geometry(
        3, 2, 4, MatrixStyle()
    )


def test_apply_update_records_patch_operations_for_dash():
    from dash import Patch

    values = make_values()
    style = MatrixStyle(encoding="lines", epoch=5)
    geo = matrix_geometry(3, 2, 4, style)
    ops = apply_update(Patch(), epoch_marker_update(values, style, geo)).to_plotly_json()["operations"]
    locations = [op["location"] for op in ops]
    assert locations[0] == ["layout", "shapes"]
    assert ["data", geo.trace_index("background", "cell"), "z"] in locations
    assert all(op["operation"] == "Assign" for op in ops)


def test_class_names_sit_at_the_centre_of_their_tiles_even_with_two_strips_per_tile():
    # two series -> two bricks per tile row: the centre lies between two categories, and every
    # class name must sit exactly there (snapping would stagger them up and down)
    values = make_values(runs=("runA", "runB"))
    style = MatrixStyle()
    fig = build_matrix_figure(values, PALETTE, style)
    geo = matrix_geometry(len(CLASSES), 2, values.steps.size, style)
    yticks = list(fig.layout.yaxis.tickvals)
    assert yticks == [geo.y.start(i) + (geo.y.inner - 1) / 2 for i in range(len(CLASSES) + 1)]
    assert geo.y.inner % 2 == 0 and all(t % 1 == 0.5 for t in yticks)  # between two bricks
    assert list(fig.layout.yaxis.ticktext) == [*CLASSES, "FP"]
    gaps = np.diff(yticks)
    assert np.allclose(gaps[:-1], gaps[0])  # evenly spaced up to the wider gap before the FP row


@pytest.mark.parametrize("tile_px", [24, 36, 58, 110])
@pytest.mark.parametrize("name", ["cat", "T-shirt/top", "large man-made outdoor things"])
def test_diagonal_labels_fit_inside_their_tile(name: str, tile_px: int):
    from confusionflow.components.matrix import CHAR_WIDTH, fit_label

    text, font_px = fit_label(name, tile_px)
    assert 7 <= font_px <= 13
    assert len(text) * CHAR_WIDTH * font_px <= 0.9 * tile_px
    # a name is only cut when even the smallest font cannot hold it, and then it says so
    assert text == name or (text.endswith("…") and name.startswith(text[:-1]))
    if text != name:
        assert font_px == 7


def test_a_short_label_keeps_the_large_font():
    from confusionflow.components.matrix import fit_label

    assert fit_label("cat", 110) == ("cat", 13)
    assert fit_label("T-shirt/top", 58) == ("T-shirt/top", 7)


def test_a_many_class_sub_matrix_draws_about_one_time_column_per_pixel():
    # 40 selected classes + "(other)", 3 series x 50 steps: a tile is ~19 px wide, so 3 steps share
    # a column (17 columns) instead of 50 sub-pixel ones; 25 classes and fewer keep every step
    geo = matrix_geometry(41, 3, 50, MatrixStyle())
    assert geo.time_bin == 3 and geo.n_time_columns == 17
    assert matrix_geometry(41, 3, 100, MatrixStyle()).n_time_columns == 17
    assert matrix_geometry(25, 3, 100, MatrixStyle()).time_bin == 1
    assert matrix_geometry(100, 2, 10, MatrixStyle()).time_bin == 1  # at least 10 columns a tile
