"""A Dash layout as plain HTML, for the page's first paint before any script has run.

Why: the browser can paint the page's HTML long before Dash's scripts have loaded, evaluated and
fetched the layout (~2 s at 10 classes on a busy machine). ``static_html`` renders the very
layout tree the page will mount as static markup: ``html.*`` components as their tags, and the
few ``dcc`` components of this page as the markup Dash 4 renders for them (same elements and CSS
classes: ``dash-dropdown``, ``dash-options-list``, ``dash-slider-root``, ``dash-graph`` …), so with
the same style sheets every box lands where the live page will put it. Charts are boxes saying the
view is loading, as the live charts are until Plotly has run; the matrix picture (an ``html.Img``) is drawn as is.

What it is not: an interactive page. Ids are left out (the live page mounts next to this copy for
a moment, and ids must stay unique), so are event props; stores, intervals, locations and
downloads render nothing; a ``hidden`` element renders without its children.

Every text and attribute value is escaped (class and series names come from users' logs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

# elements without a closing tag
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# html.* props copied as attributes (Dash name -> HTML name); the rest (ids, n_clicks, tooltips …)
# is dropped: the copy is not interactive
ATTRIBUTES = {
    "className": "class",
    "alt": "alt",
    "src": "src",
    "role": "role",
    "htmlFor": "for",
    "type": "type",
    "href": "href",
    "max": "max",
    "value": "value",
    "colSpan": "colspan",
    "rowSpan": "rowspan",
}
BOOLEAN = frozenset({"hidden", "disabled"})
# CSS properties that take bare numbers (React adds "px" to every other numeric style value)
UNITLESS = frozenset(
    {"opacity", "zIndex", "flex", "flexGrow", "flexShrink", "fontWeight", "lineHeight", "order"}
)
# components with no box of their own
INVISIBLE = frozenset({"Store", "Location", "Interval", "Download", "Clipboard", "Tooltip", "ConfirmDialog"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# Dash 4's dropdown icons (the clear cross and the chevron), 15 × 15 like the live ones
_SVG = '<svg width="15" height="15" viewBox="0 0 15 15" fill="none" xmlns="http://www.w3.org/2000/svg"{cls}></svg>'


def css_text(style: Mapping[str, Any] | None) -> str:
    """``{"minHeight": "320px", "zIndex": 1}`` as ``"min-height: 320px; z-index: 1"`` (CSS custom
    properties ``--x`` are kept as written; numbers get ``px`` where React would add it)."""
    parts = []
    for key, value in (style or {}).items():
        if value is None or isinstance(value, bool):
            continue
        name = key if key.startswith("--") else _CAMEL.sub("-", key).lower()
        text = (
            f"{value}px"
            if isinstance(value, (int, float)) and key not in UNITLESS and value != 0
            else str(value)
        )
        parts.append(f"{name}: {text}")
    return "; ".join(parts)


def attrs_html(attrs: Mapping[str, Any]) -> str:
    """`` name="value"`` pairs, escaped; True is a bare boolean attribute, None/False are left out."""
    out = []
    for name, value in attrs.items():
        if value is None or value is False or value == "":
            continue
        out.append(f" {name}" if value is True else f' {name}="{escape(str(value), quote=True)}"')
    return "".join(out)


def element(tag: str, attrs: Mapping[str, Any], inner: str = "") -> str:
    """One element's markup; ``inner`` is already HTML."""
    opening = f"<{tag}{attrs_html(attrs)}>"
    return opening if tag in VOID else f"{opening}{inner}</{tag}>"


def _props(component: Any) -> dict[str, Any]:
    """The props a Dash component was given (``to_plotly_json`` without recursing)."""
    return {
        name: getattr(component, name)
        for name in component._prop_names
        if getattr(component, name, None) is not None
    }


def static_html(node: Any) -> str:
    """The markup of a layout tree: a component, a list of them, a string or a number."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, (str, int, float)):
        return escape(str(node), quote=True)
    if isinstance(node, (list, tuple)):
        return "".join(static_html(child) for child in node)
    if not hasattr(node, "_prop_names"):
        return ""
    namespace = getattr(node, "_namespace", "")
    kind = getattr(node, "_type", type(node).__name__)
    props = _props(node)
    if namespace == "dash_html_components":
        return html_element(kind, props)
    renderer = DCC.get(kind)
    if kind in INVISIBLE:
        return ""
    if renderer is not None:
        return renderer(props)
    # an unknown component: its box and its children, so nothing it holds is lost
    return element(
        "div",
        {"class": props.get("className"), "style": css_text(props.get("style"))},
        static_html(props.get("children")),
    )


def html_element(kind: str, props: Mapping[str, Any]) -> str:
    """An ``html.*`` component as its tag (``html.MapEl`` and ``html.ObjectEl`` keep Dash's names)."""
    tag = {"MapEl": "map", "ObjectEl": "object"}.get(kind, kind.lower())
    attrs: dict[str, Any] = {
        ATTRIBUTES[k]: v for k, v in props.items() if k in ATTRIBUTES and isinstance(v, (str, int, float))
    }
    attrs.update({k: True for k in BOOLEAN if props.get(k) is True})
    attrs.update(
        {
            k: v
            for k, v in props.items()
            if (k.startswith("aria-") or k.startswith("data-")) and isinstance(v, str)
        }
    )
    attrs["style"] = css_text(props.get("style"))
    if props.get("hidden") is True:
        return element(tag, attrs)  # not displayed: its content would be bytes for nothing
    return element(tag, attrs, static_html(props.get("children")))


def _options(options: Any) -> list[dict[str, Any]]:
    """Dash's option forms (a list of dicts or of values, or a {value: label} dict) as dicts."""
    if isinstance(options, Mapping):
        return [{"value": v, "label": label} for v, label in options.items()]
    out = []
    for option in options or []:
        out.append(dict(option) if isinstance(option, Mapping) else {"value": option, "label": option})
    return out


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def options_list(props: Mapping[str, Any], kind: str) -> str:
    """``dcc.RadioItems`` (``kind="radioitems"``) or ``dcc.Checklist`` (``"checklist"``) as Dash 4
    draws them: labels holding a hidden-or-not input and the option's text."""
    chosen = _values(props.get("value"))
    inline = props.get("inline", False)
    labels = []
    for option in _options(props.get("options")):
        selected = option.get("value") in chosen
        classes = [
            "dash-options-list-option",
            "selected" if selected else "",
            f"dash-{kind}-inline" if inline else "",
        ]
        box = element(
            "input",
            {
                "type": "radio" if kind == "radioitems" else "checkbox",
                "class": "dash-options-list-option-checkbox",
                "checked": selected,
                "disabled": bool(option.get("disabled") or props.get("disabled")),
                "tabindex": "-1",
            },
        )
        text = element(
            "span",
            {"class": "dash-options-list-option-text"},
            element("span", {}, static_html(option.get("label"))),
        )
        labels.append(
            element(
                "label",
                {"class": " ".join(c for c in classes if c)},
                element("span", {"class": "dash-options-list-option-wrapper"}, box) + text,
            )
        )
    own = props.get("className") or ""
    return element(
        "div",
        {
            "class": f"dash-options-list dash-{kind} {own}",
            "role": "listbox",
            "style": css_text(props.get("style")),
        },
        "".join(labels),
    )


def dropdown(props: Mapping[str, Any]) -> str:
    """``dcc.Dropdown`` closed, as Dash 4 draws it: the chosen labels (or the placeholder), a
    "N selected" count for a multi-select, the clear cross and the chevron."""
    labels = {str(o.get("value")): o.get("label") for o in _options(props.get("options"))}
    chosen = _values(props.get("value"))
    if chosen:
        items = "".join(
            element(
                "span",
                {"class": "dash-dropdown-value-item"},
                element("span", {}, static_html(labels.get(str(v), v))),
            )
            for v in chosen
        )
        value = element("span", {"class": "dash-dropdown-value"}, items)
    else:
        value = element(
            "span",
            {"class": "dash-dropdown-value dash-dropdown-placeholder"},
            static_html(props.get("placeholder")),
        )
    count = (
        element("span", {"class": "dash-dropdown-value-count"}, f"{len(chosen)} selected")
        if props.get("multi") and chosen
        else ""
    )
    clear = (
        element("a", {"class": "dash-dropdown-clear"}, _SVG.format(cls=""))
        if chosen and props.get("clearable", True) and not props.get("disabled")
        else ""
    )
    chevron = _SVG.format(cls=' class="dash-dropdown-trigger-icon"')
    trigger = element(
        "span",
        {"class": "dash-dropdown-grid-container dash-dropdown-trigger"},
        value + count + clear + chevron,
    )
    button = element(
        "button",
        {
            "type": "button",
            "tabindex": "-1",
            "class": f"dash-dropdown {props.get('className') or ''}",
            "disabled": bool(props.get("disabled")),
        },
        trigger,
    )
    focus = element(
        "input",
        {"class": "dash-dropdown-focus-target", "tabindex": "-1", "readonly": True, "aria-hidden": "true"},
    )
    return element(
        "div", {"class": "dash-dropdown-wrapper", "style": css_text(props.get("style"))}, focus + button
    )


def _percent(value: float, low: float, high: float) -> float:
    return 0.0 if high <= low else min(100.0, max(0.0, (value - low) / (high - low) * 100.0))


def _thumb_left(p: float) -> str:
    """Where Dash 4 (Radix) centres a 16 px thumb or a mark at ``p`` % of the track."""
    shift = 8 - 16 * p / 100
    return f"calc({p:g}% {'+' if shift >= 0 else '-'} {abs(shift):g}px)"


def slider(props: Mapping[str, Any]) -> str:
    """``dcc.Slider`` / ``dcc.RangeSlider`` as Dash 4 draws them: track, selected range, marks and
    thumbs (the tooltip shows only on hover, so it is left out)."""
    low, high = float(props.get("min", 0) or 0), float(props.get("max", 1) or 0)
    values = [float(v) for v in _values(props.get("value")) if isinstance(v, (int, float))] or [low]
    spots = [_percent(v, low, high) for v in values]
    start, end = (0.0, spots[0]) if len(spots) == 1 else (min(spots), max(spots))
    marks = props.get("marks") or {}
    mark_html = []
    for at, label in marks.items() if isinstance(marks, Mapping) else []:
        try:
            p = _percent(float(at), low, high)
        except (TypeError, ValueError):
            continue
        text = label.get("label") if isinstance(label, Mapping) else label
        outside = "" if start <= p <= end else " dash-slider-mark-outside-selection"
        mark_html.append(
            element(
                "div",
                {
                    "class": f"dash-slider-mark{outside}",
                    "style": f"left: {_thumb_left(p)}; bottom: 0px; transform: translateX(-50%)",
                },
                static_html(text),
            )
        )
    thumbs = "".join(
        element(
            "span",
            {"style": f"transform: translateX(-50%); position: absolute; left: {_thumb_left(p)}"},
            element("span", {"class": f"dash-slider-thumb dash-slider-thumb-{i + 1}"}),
        )
        for i, p in enumerate(spots)
    )
    track = element(
        "span",
        {"class": "dash-slider-track", "data-orientation": "horizontal"},
        element("span", {"class": "dash-slider-range", "style": f"left: {start:g}%; right: {100 - end:g}%"}),
    )
    root = element(
        "span",
        {
            "class": "dash-slider-root has-marks" if mark_html else "dash-slider-root",
            "data-orientation": "horizontal",
            "style": "--radix-slider-thumb-transform: translateX(-50%)",
        },
        track + "".join(mark_html) + thumbs,
    )
    return element(
        "div",
        {"class": f"dash-slider-container {props.get('className') or ''}"},
        element("div", {"class": "dash-slider-wrapper"}, root),
    )


def text_input(props: Mapping[str, Any]) -> str:
    """``dcc.Input`` as Dash 4 draws it (a container around the input)."""
    box = element(
        "input",
        {
            "class": "dash-input-element",
            "type": props.get("type", "text") if props.get("type") != "number" else "text",
            "placeholder": props.get("placeholder"),
            "value": props.get("value"),
            "disabled": bool(props.get("disabled")),
            "tabindex": "-1",
        },
    )
    return element(
        "div", {"class": "dash-input-container dash-input", "style": css_text(props.get("style"))}, box
    )


def graph(props: Mapping[str, Any]) -> str:
    """``dcc.Graph`` before Plotly has drawn it: its box at the style's minimum height, which says
    the view is loading (the ``cf-graph`` style sheet writes that note), as the live chart does
    until Plotly's script has run."""
    return element(
        "div",
        {
            "class": f"dash-graph {props.get('className') or ''}".strip(),
            "style": css_text(props.get("style")),
        },
    )


def loading(props: Mapping[str, Any]) -> str:
    """``dcc.Loading`` not spinning: Dash 4's two wrappers around the children (both carry
    ``parent_className``)."""
    classes = props.get("className") or props.get("parent_className")
    inner = element("div", {"class": classes}, static_html(props.get("children")))
    parent = {"position": "relative", **dict(props.get("parent_style") or {})}
    return element("div", {"class": props.get("parent_className"), "style": css_text(parent)}, inner)


def upload(props: Mapping[str, Any]) -> str:
    return element(
        "div",
        {"class": props.get("className"), "style": css_text(props.get("style"))},
        static_html(props.get("children")),
    )


DCC = {
    "RadioItems": lambda p: options_list(p, "radioitems"),
    "Checklist": lambda p: options_list(p, "checklist"),
    "Dropdown": dropdown,
    "Slider": slider,
    "RangeSlider": slider,
    "Input": text_input,
    "Graph": graph,
    "Loading": loading,
    "Upload": upload,
}
