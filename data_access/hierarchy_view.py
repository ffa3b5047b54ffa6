"""The level and drill-down a view asks for, checked against a hierarchy, and how to name them.

A *level* is 0 (the run's classes) or a depth of the hierarchy, 1 being the top groups; a
*drill-down* names one group at that level whose members are shown as classes while every other
class stays aggregated at the level. Both come from the page (URL, controls), so anything unknown
falls back to the default (classes, no drill-down) instead of raising.

At an aggregated level a group is a class: a prediction of another member of the true class's
group is correct there, so its FN, FP, precision, recall and the accuracy count a confusion inside
one group as correct (``confusionflow.data_access.class_totals``). Inside a drilled group the
members are classes again, and confusions between them are errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from confusionflow.data_access.hierarchy import Hierarchy

MAX_LEVEL = 64  # deepest level a page may ask for (any deeper request reads as 0)


@dataclass(frozen=True)
class HierarchyView:
    """A valid ``(level, group)`` of ``hierarchy`` (level 0 and no group when there is none)."""

    hierarchy: Hierarchy | None = None
    level: int = 0
    group: str | None = None

    @property
    def aggregated(self) -> bool:
        """Whether the shown classes include groups (a confusion inside one is correct)."""
        return self.level > 0

    def mapping(self) -> dict[str, str] | None:
        """The ``class -> shown group`` mapping for the tensor's ``aggregate``, or None (classes)."""
        if self.hierarchy is None or self.level == 0:
            return None
        if self.group is not None:
            return self.hierarchy.drill(self.group, self.level)
        return self.hierarchy.mapping(self.level)

    def level_name(self) -> str:
        """The level in words: "classes", "superclasses" or "level-2 groups"."""
        return level_name(self.hierarchy, self.level)

    def caption(self) -> str:
        """What the matrix caption says of the level (empty for classes); plain text, the group
        name is the user's (escape it where markup is interpreted)."""
        if not self.aggregated or self.hierarchy is None:
            return ""
        n = len(self.hierarchy.groups(self.level))
        text = f"aggregated to {self.level_name()} ({n} groups)"
        if self.group is not None:
            text += (
                f", “{self.group}” drilled into its {members(self.hierarchy, self.level, self.group)} classes"
            )
        return text + " · a confusion inside one group counts as correct"


def level_name(hierarchy: Hierarchy | None, level: int) -> str:
    """``"classes"`` for 0; ``"superclasses"`` for a one-level hierarchy; else ``"level-N groups"``."""
    if hierarchy is None or level == 0:
        return "classes"
    if hierarchy.depth == 1:
        return "superclasses"
    return "top-level groups" if level == 1 else f"level-{level} groups"


def shown_count(hierarchy: Hierarchy, mapping: dict[str, str] | None) -> int:
    """How many classes the matrix has with ``mapping`` (groups plus classes it leaves alone)."""
    if not mapping:
        return len(hierarchy.classes)
    return len({mapping.get(c, c) for c in hierarchy.classes})


def level_options(hierarchy: Hierarchy | None, max_shown: int | None = None) -> list[dict]:
    """The level control's options: classes, then each level by depth with its group count. With
    ``max_shown`` (a many-class run draws at most that many classes in full) a level of more
    groups is offered disabled, saying why."""
    out: list[dict] = [
        {"label": f"classes ({len(hierarchy.classes)})" if hierarchy else "classes", "value": 0}
    ]
    if hierarchy is None:
        return out
    for level in range(1, hierarchy.depth + 1):
        n = len(hierarchy.groups(level))
        label = f"{level_name(hierarchy, level)} ({n} groups)"
        if max_shown is not None and shown_count(hierarchy, hierarchy.mapping(level)) > max_shown:
            out.append({"label": f"{label}: more than {max_shown} to draw", "value": level, "disabled": True})
        else:
            out.append({"label": label, "value": level})
    return out


def members(hierarchy: Hierarchy, level: int, group: str) -> int:
    """How many classes lie under ``group`` (a group at ``level``)."""
    return sum(1 for p in hierarchy.paths if len(p) >= level and p[level - 1] == group)


def group_options(hierarchy: Hierarchy | None, level: int, max_shown: int | None = None) -> list[dict]:
    """The drill control's options: the groups at ``level`` (none at the class level). With
    ``max_shown`` (a many-class run draws at most that many classes in full) a group whose
    drill-down would show more is offered disabled, saying why (it cannot be drilled into)."""
    if hierarchy is None or not 0 < level <= hierarchy.depth:
        return []
    out: list[dict] = []
    for g in hierarchy.groups(level):
        if max_shown is not None and shown_count(hierarchy, hierarchy.drill(g, level)) > max_shown:
            label = f"{g}: {members(hierarchy, level, g)} classes, more than {max_shown} to draw"
            out.append({"label": label, "value": g, "disabled": True})
        else:
            out.append({"label": g, "value": g})
    return out


def drill_refused(
    hierarchy: Hierarchy | None, level: object, group: object, view: HierarchyView, max_shown: int | None
) -> str:
    """What the page says when a drill-down into ``group`` was asked for (from a link or the
    control) but ``view`` (:func:`hierarchy_view`'s answer) does not draw it because it would show
    too many classes; "" when the drill-down is drawn or was not asked for. Plain text (the
    group name is the user's)."""
    if hierarchy is None or max_shown is None or not isinstance(group, str) or view.group == group:
        return ""
    if not isinstance(level, int) or not 0 < level <= hierarchy.depth or group not in hierarchy.groups(level):
        return ""
    shown = f"aggregated to {view.level_name()}" if view.aggregated else "as classes"
    return (
        f"“{group}” has {members(hierarchy, level, group)} classes, more than the {max_shown} the matrix "
        f"draws in full: shown {shown} instead"
    )


def hierarchy_view(
    hierarchy: Hierarchy | None, level: object, group: object, max_shown: int | None = None
) -> HierarchyView:
    """``(level, group)`` checked against ``hierarchy``: a level it does not have reads as 0, a
    group that is not at that level as no drill-down. With ``max_shown``, a view that would show
    more classes than that reads as the level alone, or as 0 (what a many-class run can draw in
    full). Never raises."""
    if hierarchy is None:
        return HierarchyView()
    lvl = level if isinstance(level, int) and not isinstance(level, bool) else 0
    if not 0 <= lvl <= min(hierarchy.depth, MAX_LEVEL):
        lvl = 0
    if lvl == 0:
        return HierarchyView(hierarchy)
    grp = group if isinstance(group, str) and group in hierarchy.groups(lvl) else None
    view = HierarchyView(hierarchy, lvl, grp)
    if max_shown is not None and shown_count(hierarchy, view.mapping()) > max_shown:
        return (
            hierarchy_view(hierarchy, lvl, None, max_shown) if grp is not None else HierarchyView(hierarchy)
        )
    return view
