"""User names are data: every figure shows class, run and fold names literally, never as markup.

Plotly renders tick labels, categories shown in hover, hover templates, annotations, titles and
legend names as pseudo-HTML, so a class named ``<a href="x">b</a>`` would become a live link and
``<span style="font-size:80px">`` would cover the chart. Each builder must escape them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from confusionflow.components.charts import (
    build_class_performance_figure,
    build_detail_figure,
    build_distribution_figure,
    build_timeline_figure,
)
from confusionflow.components.colors import PALETTE
from confusionflow.components.matrix import MatrixStyle, build_matrix_figure
from confusionflow.components.matrix.labels import tick_name
from confusionflow.components.text import plain
from confusionflow.data_access.metrics import tensor_metrics
from confusionflow.data_access.views import matrix_values
from tests.factories import make_tensor, unique_counts

LINK = '<a href="x">b</a>'
BIG = '<span style="font-size:80px">z</span>'
CLASSES = (LINK, BIG, "cat & dog")
RUN = "<b>run</b>'s"
LINK_SHOWN = "&lt;a href=&#34;x&#34;&gt;b&lt;/a&gt;"
BIG_SHOWN = "&lt;span style=&#34;font-size:80px&#34;&gt;z&lt;/span&gt;"
STEPS = [1.0, 2.0, 5.0]


def strings(obj: object) -> Iterator[str]:
    """Every string inside a figure's JSON (nested dicts, lists and object arrays)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings(v)
    elif isinstance(obj, np.ndarray) and obj.dtype == object:
        for v in obj.ravel():
            yield from strings(v)


def assert_inert(fig) -> list[str]:
    """No user markup survives anywhere in ``fig``; returns all its strings for further checks."""
    texts = list(strings(fig.to_plotly_json()))
    for t in texts:
        assert "<a " not in t and "<span" not in t and "<b>run" not in t, t
    return texts


def tensor():
    return make_tensor(unique_counts(2, len(STEPS)), STEPS, CLASSES, runs=(RUN, "plain"))


def test_plain_turns_every_markup_character_into_an_entity():
    assert plain(LINK) == LINK_SHOWN
    assert plain(BIG) == BIG_SHOWN
    assert plain('a & b\'s "x"') == "a &amp; b&#39;s &#34;x&#34;"
    assert plain("cat") == "cat"


@pytest.mark.parametrize(
    "style",
    [MatrixStyle(), MatrixStyle(rotate=True), MatrixStyle(encoding="lines", epoch=2.0)],
    ids=["heatmap", "rotated", "lines"],
)
@pytest.mark.parametrize("normalization", [None, "true"])
def test_matrix_shows_class_and_run_names_literally(style: MatrixStyle, normalization: str | None):
    fig = build_matrix_figure(matrix_values(tensor(), normalization), PALETTE, style)  # type: ignore[arg-type]
    texts = assert_inert(fig)
    layout = fig.layout
    tick_axis = layout.xaxis if style.encoding == "lines" or not style.rotate else layout.yaxis
    # a name longer than the margin holds is cut on the axis before it is escaped
    assert [*tick_axis.ticktext][:3] == [LINK_SHOWN, plain(tick_name(BIG)), "cat &amp; dog"]
    # diagonal labels (a long name is cut to fit its tile before it is escaped)
    diagonal = {a.text for a in layout.annotations}
    assert LINK_SHOWN in diagonal and any(t.startswith("&lt;span style=") for t in diagonal)
    # what hover shows: categories (heatmap %{x}/%{y}) or the template/text itself (lines)
    hover = [t for t in texts if "true: " in t or "pred: " in t or "false negatives of" in t]
    assert any(LINK_SHOWN in t for t in hover) and any(BIG_SHOWN in t for t in hover)
    assert any("&lt;b&gt;run&lt;/b&gt;&#39;s" in t for t in texts)  # the run's name, in hover


def test_class_performance_shows_names_literally():
    t = tensor()
    fig = build_class_performance_figure(
        tensor_metrics(t), t.steps, t.classes, [s.label for s in t.series], PALETTE
    )
    texts = assert_inert(fig)
    assert list(fig.layout.yaxis.ticktext) == [LINK_SHOWN, BIG_SHOWN, "cat &amp; dog"]
    assert any(t.startswith(LINK_SHOWN + " · ") for t in texts)  # tile hover text
    lines = [tr for tr in fig.data if tr.type == "scatter"]
    assert any("<br>&lt;b&gt;run" in (tr.hovertemplate or "") for tr in lines)  # series, escaped
    assert LINK_SHOWN in lines[0].text  # the point's class names the hover, escaped
    assert lines[0].name.startswith("&lt;b&gt;run&lt;/b&gt;&#39;s")


def test_class_sizes_show_names_literally():
    support = np.array([[3.0, 4.0, 5.0], [1.0, 2.0, np.nan]])
    fig = build_distribution_figure(support, CLASSES, [RUN, "plain"], PALETTE, step_label="step 5")
    assert_inert(fig)
    assert list(fig.data[0].x) == [LINK_SHOWN, BIG_SHOWN, "cat &amp; dog"]
    assert "&lt;b&gt;run&lt;/b&gt;" in fig.data[0].hovertemplate and fig.data[0].name.startswith("&lt;b&gt;")


def test_detail_chart_shows_title_and_names_literally():
    fig = build_detail_figure(
        np.array(STEPS),
        np.array([[0.1, 0.2, 0.3], [0.2, 0.3, 0.4]]),
        [RUN, "plain"],
        PALETTE,
        title=f"True class “{LINK}” predicted as “{BIG}”",
        y_title="share of the true class (row)",
        percent=True,
    )
    assert_inert(fig)
    # a long title is wrapped at spaces (components/charts/detail.py): the lines read as the whole
    assert (
        fig.layout.title.text.replace("<br>", " ") == f"True class “{LINK_SHOWN}” predicted as “{BIG_SHOWN}”"
    )
    assert fig.data[0].hovertemplate.startswith("&lt;b&gt;run&lt;/b&gt;&#39;s<br>")


def test_timeline_shows_run_names_literally():
    acc = np.array([[0.5, 0.6, 0.7], [0.4, np.nan, 0.8]])
    fig = build_timeline_figure(np.array(STEPS), acc, PALETTE, series_labels=[RUN, BIG])
    texts = assert_inert(fig)
    assert any(f"{BIG_SHOWN}: not logged" in t for t in texts)
    assert fig.data[1].hovertemplate.startswith("&lt;b&gt;run&lt;/b&gt;&#39;s<br>")
