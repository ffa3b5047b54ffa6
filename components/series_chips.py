"""The coloured series chips under the picker: the legend of every view.

Pure layout: series infos, keys and palette slots in, Dash components out. Labels and metadata are
passed as component children and attributes, which React renders as text (never as markup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from confusionflow.components import ids
from confusionflow.components.colors import slot_color
from confusionflow.components.metadata_text import metadata_tooltip
from confusionflow.data_access.tensor import SeriesInfo

NO_LOGS = "No logs in the log folder yet: series appear here as they are written."
NOTHING_CHOSEN = "Choose one or more series above."


def chip(info: SeriesInfo | None, key: str, color: str) -> html.Span:
    """One chip: swatch, label (``key`` when the series is unknown) and a remove button.

    The tooltip lists the run's metadata (superclasses excepted); ``data-key``/``data-color`` let
    tests and styles find the series and its colour.
    """
    label = info.label if info else key
    data: dict[str, Any] = {"data-key": key, "data-color": color}  # hyphenated: Dash takes them as **
    remove_label: dict[str, Any] = {"aria-label": f"Remove {label}"}
    return html.Span(
        className="cf-chip",
        role="listitem",
        title=metadata_tooltip(label, None, info.metadata) if info is not None else label,
        style={"--chip-color": color},
        **data,
        children=[
            html.Span(className="cf-chip-swatch", style={"backgroundColor": color}),
            html.Span(label, className="cf-chip-label"),
            html.Button(
                "×",
                id={"type": ids.CHIP_REMOVE, "key": key},
                className="cf-chip-remove",
                n_clicks=0,
                title=f"Remove {label}",
                **remove_label,
            ),
        ],
    )


def chips(keys: Sequence[str], infos: Mapping[str, SeriesInfo], slots: Mapping[str, int]) -> list:
    """The chips of the shown series ``keys`` in order, coloured by their palette ``slots``; a hint
    instead when the log folder is empty (``infos`` empty) or nothing is chosen."""
    if not infos:
        return [html.Span(NO_LOGS, className="cf-hint")]
    if not keys:
        return [html.Span(NOTHING_CHOSEN, className="cf-hint")]
    return [chip(infos.get(k), k, slot_color(slots[k])) for k in keys]
