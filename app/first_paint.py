"""The first view in the page's HTML: painted before any script has run.

Why: Dash's page is an empty "Loading..." until its scripts have downloaded and run and the layout
has come back from ``_dash-layout``; even with the matrix picture in the layout, the matrix showed
~2.6 s after navigation at 10 classes. The page's own HTML now carries a static copy of the first
view — the same layout, filled for the page's query string exactly as the layout request fills it
(``app/first_view.py``), rendered to markup by ``components/static_page.py`` — with the matrix
picture in it. The browser paints it as soon as the HTML and the style sheet have arrived.

How it hands over to the live page without a jump: the copy sits in the page flow just before
Dash's ``#react-entry-point`` (whose "Loading..." is hidden while the copy is there, see
``assets/confusionflow.css``), and it has the same elements and CSS classes as the live layout.
The dcc components' own style sheets are injected by Dash's scripts at run time; the page gets a
copy of them (read once from those scripts, :func:`component_css`) right before the copy, so the
boxes measure the same before and after the scripts. ``FIRST_PAINT_JS`` removes the copy in the
same task in which React mounts the layout (a ``MutationObserver`` callback runs before the next
paint), so the live page takes its place in one frame; if the live picture is still decoding, the
copy stays on top of it, in place, until it has.

Bounds: the query comes from the request's URL, is cut at ``MAX_QUERY`` characters and goes
through the same typed parser as every callback (nothing in it sizes the work). A failure here is
logged and the page is served without the copy, as before.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
import flask

from confusionflow.app.callbacks.inputs import MAX_QUERY
from confusionflow.components.static_page import static_html

log = logging.getLogger(__name__)

FIRST_PAINT_CLASS = "cf-first-paint"
# the dcc scripts whose style modules hold the CSS of the components this page uses
COMPONENT_SCRIPTS = ("dash_core_components.js", "async-dropdown.js", "async-slider.js")
# webpack's style-loader modules: ``….push([module.id, "<css as a JS string>", ""])``
_STYLE_MODULE = re.compile(r'\.push\(\[\w+\.id,("(?:[^"\\]|\\.)*")')

# Runs at once, before any other script of the page (it follows the copy and the entry point).
FIRST_PAINT_JS = """
(function () {
    "use strict";
    var paint = document.querySelector(".cf-first-paint");
    var entry = document.getElementById("react-entry-point");
    if (!paint || !entry) {
        return;
    }
    function mounted() {
        // the layout, or anything Dash shows instead of its "Loading..." (an error)
        return entry.querySelector(".cf-page")
            || (!entry.querySelector("._dash-loading") && entry.textContent.trim() !== "");
    }
    var observer = new MutationObserver(function () {
        if (!mounted()) {
            return;
        }
        observer.disconnect();
        var picture = document.getElementById("matrix-preview");
        var waiting = picture && picture.getAttribute("src") && !picture.complete
            && getComputedStyle(picture).display !== "none";
        if (!waiting) {
            paint.remove();
            return;
        }
        // the live picture is still decoding: this copy stays where it is, over the live page
        var box = paint.getBoundingClientRect();
        paint.style.position = "absolute";
        paint.style.left = (box.left + window.scrollX) + "px";
        paint.style.top = (box.top + window.scrollY) + "px";
        paint.style.width = box.width + "px";
        paint.style.zIndex = "10";
        var done = function () { paint.remove(); };
        picture.addEventListener("load", done, {once: true});
        picture.addEventListener("error", done, {once: true});
    });
    observer.observe(entry, {childList: true, subtree: true});
}());
"""


@functools.cache
def component_css() -> str:
    """The style sheets Dash's dcc scripts inject when they run, as one CSS text (empty if this
    Dash version bundles them some other way: the copy then still shows, less exactly placed)."""
    root = Path(dash.dcc.__file__).parent
    sheets: list[str] = []
    for name in COMPONENT_SCRIPTS:
        try:
            text = (root / name).read_text(encoding="utf-8")
        except OSError:
            continue
        for literal in _STYLE_MODULE.findall(text):
            try:
                css = json.loads(literal)
            except ValueError:
                continue
            if isinstance(css, str) and "<" not in css and css not in sheets:
                sheets.append(css)
    return "\n".join(sheets)


def first_paint_html(layout: Any) -> tuple[str, str]:
    """``(before, after)`` Dash's entry point: the dcc style sheets and the copy of ``layout``
    (static markup, inert and hidden from assistive technology: the live page follows), then the
    hand-over script."""
    before = (
        f"<style>{component_css()}</style>"
        f'<div class="{FIRST_PAINT_CLASS}" inert aria-hidden="true">{static_html(layout)}</div>'
    )
    return before, f"<script>{FIRST_PAINT_JS}</script>"


def request_query() -> str:
    """The page request's query string (without ``?``), empty when longer than ``MAX_QUERY``."""
    raw = flask.request.query_string if flask.has_request_context() else b""
    if len(raw) > MAX_QUERY:
        return ""
    return raw.decode("utf-8", errors="replace")


def install_first_paint(app: dash.Dash, first_view_for: Callable[[str], Any]) -> None:
    """Serve ``app``'s page with the first paint of its query in front of the entry point.

    ``first_view_for(query)``: the layout filled for that page query (what ``_dash-layout`` will
    answer for the same page).
    """
    interpolate = app.interpolate_index

    def interpolate_index(**kwargs: Any) -> str:
        try:
            before, after = first_paint_html(first_view_for(request_query()))
        except Exception:  # noqa: BLE001 - the page must open even if its first paint cannot be drawn
            log.exception("first paint: the page is served without its static first view")
            before = after = ""
        kwargs["app_entry"] = before + kwargs.get("app_entry", "") + after
        return interpolate(**kwargs)

    app.interpolate_index = interpolate_index  # type: ignore[method-assign,assignment]
