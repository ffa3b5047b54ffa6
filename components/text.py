"""User strings drawn in figures, made inert.

Plotly renders every text of a figure (tick labels, category labels shown by ``%{x}``, hover
templates and text, annotations, titles, legend names) as *pseudo-HTML*: ``<a href>``, ``<span
style>``, ``<br>``, ``<b>`` and entities are interpreted. A class, run, fold or superclass name is
data, so every figure builder passes it through :func:`plain` before it reaches a figure; Plotly
then shows the characters literally.
"""

from __future__ import annotations

from collections.abc import Iterable

# Plotly decodes numeric entities and a few named ones (&amp; &lt; &gt; ...) but not &quot;, so
# quotes use numeric entities.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
_TABLE = str.maketrans(_ENTITIES)


def plain(s: object) -> str:
    """``s`` as text Plotly draws literally: ``&<>"'`` become entities.

    >>> plain('<a href="x">b</a>')
    '&lt;a href=&#34;x&#34;&gt;b&lt;/a&gt;'
    """
    return str(s).translate(_TABLE)


def plain_all(items: Iterable[object]) -> list[str]:
    """:func:`plain` of each item, as a list."""
    return [plain(s) for s in items]
