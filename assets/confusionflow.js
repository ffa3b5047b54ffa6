/* Browser-side reactions that need no server: SVG export of a chart, showing/hiding a drawer,
   the address bar and its history, the timeline's keyboard and double-click. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    confusionflow: {
        /* Download the chart whose "PNG" or "SVG" button was clicked, drawn by Plotly from the
           screen, as a picture that stands alone: the panel's title and the caption on top, the
           series (name and colour of every chip) underneath; the colour bars are in the figure. */
        exportSvg: function (clicks) {
            const ctx = window.dash_clientside.callback_context;
            const trig = ctx && ctx.triggered_id;
            if (!trig || !trig.graph || !clicks || !clicks.some(function (n) { return n; })) {
                return window.dash_clientside.no_update;
            }
            const holder = document.getElementById(trig.graph);
            const gd = holder && (holder.classList.contains("js-plotly-plot")
                ? holder : holder.querySelector(".js-plotly-plot"));
            if (gd && window.Plotly && gd._fullLayout) {
                const format = trig.format === "png" ? "png" : "svg";
                const fig = window.confusionflowExport.standalone(gd, holder.closest(".cf-panel"));
                window.Plotly.downloadImage(fig, {
                    format: format, filename: trig.graph, width: fig.layout.width,
                    height: fig.layout.height, scale: format === "png" ? 2 : 1,
                });
            }
            return Date.now();
        },
        /* Dash drops array-valued point fields (a heatmap's pointNumber) from clickData; add each
           point's position in axis units (category index on categorical axes) so the server can
           tell which tile was clicked. */
        clickPosition: function (clickData) {
            const ctx = window.dash_clientside.callback_context;
            const graphId = ctx && ctx.triggered_id;
            if (!clickData || !clickData.points || !graphId) {
                return window.dash_clientside.no_update;
            }
            const holder = document.getElementById(graphId);
            const gd = holder && (holder.classList.contains("js-plotly-plot")
                ? holder : holder.querySelector(".js-plotly-plot"));
            if (!gd || !gd._fullLayout || !gd._fullData) {
                return window.dash_clientside.no_update;
            }
            const points = clickData.points.map(function (p) {
                const trace = gd._fullData[p.curveNumber] || {};
                const xa = gd._fullLayout["xaxis" + (trace.xaxis || "x").slice(1)];
                const ya = gd._fullLayout["yaxis" + (trace.yaxis || "y").slice(1)];
                const out = Object.assign({}, p);
                if (xa && ya) {
                    out.col = xa.d2l(p.x);
                    out.row = ya.d2l(p.y);
                }
                return out;
            });
            return {points: points, timestamp: Date.now()};
        },
        /* Show the view's query string in the address bar. A change the user made to what the
           view shows (HISTORY_KEYS) pushes a history entry, once per gesture; every other write
           (the page opening and filling in defaults, restoring after Back/Forward, follow-up
           updates, contrast tweaks) replaces the current entry. dcc.Location is told each time,
           so its search prop matches the address and only Back/Forward change it from outside. */
        /* The epoch buttons: the next (previous) logged step of the selection inside the step
           range, stopping at its ends; the first (last) one when none is selected; "clear" none.
           The same rule as move_step in data_access/step_windows.py, on the selection's steps
           (the server's own, sent with the selection); the label as epoch_label words it. */
        /* The timeline's [range, epoch] and the normalisation for the overview, only while it is
           shown: a hidden overview (40 classes or fewer, or the sub-matrix chosen) then costs no
           request when they move. Shown again by the switch, it is asked for again only if
           something reached it meanwhile (a move, or the same values set again, as a live update
           does) or the values differ from those it was last drawn for. */
        overviewSteps: function (range, epoch, normalization, view, style, last) {
            const noUpdate = window.dash_clientside.no_update;
            const cf = window.dash_clientside.confusionflow;
            const ctx = window.dash_clientside.callback_context;
            const byView = !!ctx && ctx.triggered_id === "matrix-view";
            if ((style && style.display === "none") || view === "classes") {
                if (!byView) { cf.overviewMissed = true; }
                return noUpdate;
            }
            const now = [range, epoch, normalization];
            if (byView && !cf.overviewMissed && JSON.stringify(now) === JSON.stringify(last)) {
                return noUpdate;
            }
            cf.overviewMissed = false;
            return now;
        },
        /* The many-class switch: the button pressed names the view (a selection made on the
           overview sets "classes" from the server's answer instead). */
        chooseView: function (overviewClicks, classesClicks) {
            const ctx = window.dash_clientside.callback_context;
            const trig = ctx && ctx.triggered_id;
            if (trig === "view-overview") { return "overview"; }
            if (trig === "view-classes") { return "classes"; }
            return window.dash_clientside.no_update;
        },
        /* The matrix views' class (views_class in components/overview_panel.py: the same rule),
           which switch button is pressed, and how many classes the sub-matrix shows. */
        matrixViews: function (view, style, selection) {
            const many = !!style && style.display !== "none";
            const shown = view === "classes" ? "classes" : "overview";
            const classes = selection && Array.isArray(selection.classes) ? selection.classes : [];
            const level = selection && typeof selection.level === "number" ? selection.level : 0;
            const group = selection && typeof selection.group === "string" ? selection.group : null;
            // what the sub-matrix draws without chosen classes: a drilled group with the rest
            // aggregated, a level's groups, else the lowest-F1 classes (common.DEFAULT_WORST)
            let count = " (lowest F1)";
            if (classes.length) {
                count = " (" + String(classes.length) + ")";
            } else if (group !== null) {
                count = " (" + group + " expanded)";
            } else if (level > 0) {
                count = " (level " + String(level) + " groups)";
            }
            return [
                many ? "cf-matrix-views cf-many cf-show-" + shown : "cf-matrix-views",
                shown === "overview" ? "true" : "false",
                shown === "classes" ? "true" : "false",
                count,
            ];
        },
        /* The overview's selectedData when it is a box (an x and a y range of two numbers each,
           what box_from_selected_data reads), else no_update: a redraw of the overview drops
           Plotly's box and reports an empty selection, which selects nothing. */
        overviewBox: function (selected) {
            const box = selected && typeof selected === "object" ? selected.range : null;
            const pair = function (v) { return Array.isArray(v) && v.length === 2; };
            return box && pair(box.x) && pair(box.y) ? selected : window.dash_clientside.no_update;
        },
        /* The epoch for the matrix callback, only while the drawn matrix is lines (the grey
           background of the epoch is data there); a heatmap's epoch is its markers, which
           moveEpochMarkers moves, so an epoch move then asks the server nothing. */
        matrixEpoch: function (epoch, meta) {
            if (meta && meta.encoding === "lines") {
                return epoch === undefined ? null : epoch;
            }
            return window.dash_clientside.no_update;
        },
        /* The epoch for the class sizes' callback, only when their figure carries no sizes per
           step (layout.meta.epoch_sizes, left out when too large): else moveEpochMarkers
           redraws the bars and no request is needed. */
        sizesEpoch: function (epoch, figure) {
            const meta = figure && figure.layout && figure.layout.meta;
            if (meta && meta.epoch_sizes) {
                return window.dash_clientside.no_update;
            }
            return epoch === undefined ? null : epoch;
        },
        /* [range, epoch] for the instance list, only while the detail target is a tile whose
           instances it lists (LISTABLE in app/callbacks/instances.py); for any other target the
           panel says "click a cell" whatever the range and the epoch, so no request. */
        instancesSteps: function (range, epoch, target) {
            const kind = target && typeof target === "object" ? target.kind : null;
            if (kind === "cell" || kind === "fn" || kind === "fp") {
                return [range === undefined ? null : range, epoch === undefined ? null : epoch];
            }
            return window.dash_clientside.no_update;
        },
        /* The overview picture's hovered position {x, y, bbox} for the server's tooltip
           (overview_figure.cell_hover): only for a point of the picture (numbers on its axes; the
           heatmap's own hover names its cells itself), null once the mouse leaves a hovered cell,
           else no_update, so a heatmap's hover sends no request. */
        overviewHover: function (hover, current) {
            const noUpdate = window.dash_clientside.no_update;
            const point = hover && Array.isArray(hover.points) ? hover.points[0] : null;
            if (!point || typeof point.x !== "number" || typeof point.y !== "number" || !point.bbox) {
                return current ? null : noUpdate;
            }
            const b = point.bbox;
            return {x: point.x, y: point.y, bbox: {x0: b.x0, x1: b.x1, y0: b.y0, y1: b.y1}};
        },
        moveEpoch: function (prev, next, clear, selection, range, epoch) {
            const noUpdate = window.dash_clientside.no_update;
            const ctx = window.dash_clientside.callback_context;
            const trig = ctx && ctx.triggered_id;
            const current = typeof epoch === "number" && isFinite(epoch) ? epoch : null;
            let chosen = null;
            if (trig === "epoch-clear") {
                chosen = null;
            } else if (trig === "epoch-next" || trig === "epoch-prev") {
                const all = (selection && Array.isArray(selection.steps) ? selection.steps : [])
                    .filter(function (s) { return typeof s === "number" && isFinite(s); });
                let steps = all;
                if (Array.isArray(range) && range.length === 2) {
                    const lo = Math.min(range[0], range[1]), hi = Math.max(range[0], range[1]);
                    const inside = all.filter(function (s) { return s >= lo && s <= hi; });
                    steps = inside.length ? inside : all;
                }
                if (!steps.length) {
                    return [noUpdate, noUpdate];
                }
                if (current === null) {
                    chosen = trig === "epoch-next" ? steps[0] : steps[steps.length - 1];
                } else if (trig === "epoch-next") {
                    const later = steps.filter(function (s) { return s > current; });
                    chosen = later.length ? later[0] : steps[steps.length - 1];
                } else {
                    const earlier = steps.filter(function (s) { return s < current; });
                    chosen = earlier.length ? earlier[earlier.length - 1] : steps[0];
                }
            } else {
                return [noUpdate, noUpdate];
            }
            if (chosen === current) {
                return [noUpdate, noUpdate];  /* "next" at the range's last step: nothing moves */
            }
            return [chosen, chosen === null ? "none" : "step " + String(chosen)];
        },
        /* dcc.Location reported an address: pass it on to the URL callback unless it is the
           query this page wrote itself (the echo of writeQuery), which restores nothing. */
        addressChanged: function (pathname, search, shown) {
            const query = typeof search === "string" ? search : "";
            if (typeof shown === "string" && query === shown) {
                return window.dash_clientside.no_update;
            }
            return {pathname: pathname, search: query, at: Date.now()};
        },
        writeQuery: function (query) {
            if (typeof query !== "string" || query === window.location.search) {
                return window.dash_clientside.no_update;
            }
            const url = window.location.pathname + query + window.location.hash;
            if (historyState.userActed && deliberateChange(window.location.search, query)) {
                window.history.pushState({confusionflow: true}, "", url);
                historyState.userActed = false;
            } else {
                window.history.replaceState(window.history.state, "", url);
            }
            window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
            return query;
        },
        /* The selected epoch moved: redraw only the epoch markers of every figure that carries a
           marker recipe (or a list of recipes) in layout.meta.epoch_marker (written by
           components/figure_style.py's epoch_marker_meta). Measured at 50 classes: dcc.Graph's Plotly.react of a patched
           figure decodes every base64 array again and recomputes every trace (200-300 ms for the
           matrix, ~100 ms for class performance, even with the same trace objects, and
           layout.datarevision does not stop it for 1-D arrays), while Plotly.update of the
           shapes alone takes 9-13 ms per figure. Plotly.relayout would take ~1 ms, but dcc.Graph
           answers its event by copying the shapes into its figure prop and so calls Plotly.react
           again (and reports relayoutData); Plotly.update fires neither. The figure prop thus
           keeps the old markers: the server re-states the current ones in every later update of
           these figures (rebuilds and Patches alike). */
        moveEpochMarkers: function (epoch) {
            const graphs = Array.prototype.slice.call(arguments, 1);
            if (!window.Plotly) {
                return;
            }
            graphs.forEach(function (graphId) {
                const holder = document.getElementById(graphId);
                const gd = holder && (holder.classList.contains("js-plotly-plot")
                    ? holder : holder.querySelector(".js-plotly-plot"));
                const meta = gd && gd._fullLayout && gd.layout && gd.layout.meta;
                if (meta && meta.epoch_sizes) {
                    const sizes = epochSizes(meta.epoch_sizes, epoch, gd.data.length);
                    if (sizes) {
                        window.Plotly.update(gd, {y: sizes.y}, {"title.text": sizes.title});
                    }
                    return;
                }
                const recipe = meta && meta.epoch_marker;
                if (!recipe) {
                    return;
                }
                /* one recipe, or a list of them (one per subplot the markers cross) */
                const recipes = [].concat(recipe);
                const names = recipes.map(function (r) { return r.name; });
                const kept = (gd.layout.shapes || []).filter(function (s) {
                    return names.indexOf(s.name) < 0;
                });
                const shapes = recipes.reduce(function (acc, r) {
                    return acc.concat(epochMarkerShapes(r, epoch));
                }, kept);
                window.Plotly.update(gd, {}, {shapes: shapes});
            });
        },
        toggleHidden: function (n, hidden) {
            return n ? !hidden : hidden;
        }
    }
});

/* Query keys whose change is a step worth going Back to (app/state.py names them all). */
const HISTORY_KEYS = ["s", "c", "other", "super", "enc", "norm", "from", "to", "epoch", "detail", "dt", "dp"];

/* userActed: a pointer or key press since the page opened, the last pushed entry, or the last
   Back/Forward (which a key press may have started: popstate comes after it). */
const historyState = {userActed: false};
document.addEventListener("pointerdown", function () { historyState.userActed = true; }, true);
document.addEventListener("keydown", function () { historyState.userActed = true; }, true);
window.addEventListener("popstate", function () { historyState.userActed = false; });

function deliberateChange(before, after) {
    const a = new URLSearchParams(before);
    const b = new URLSearchParams(after);
    return HISTORY_KEYS.some(function (key) {
        return a.getAll(key).join("\u0000") !== b.getAll(key).join("\u0000");
    });
}

/* The class sizes' bars (one y array per series) and title at ``epoch`` from the figure's
   recipe (components/charts/class_sizes.py, sizes_recipe): the support_at rule of
   data_access/views.py — at a step, the series that logged it; with no epoch, each series' last
   logged step. Null when the recipe does not fit the figure (it then stays as it is). */
function epochSizes(recipe, epoch, nTraces) {
    const steps = recipe.steps || [], labels = recipe.labels || [], index = recipe.index || [];
    const vectors = recipe.vectors || [];
    if (index.length !== nTraces || labels.length !== steps.length) {
        return null;
    }
    const width = vectors.length ? vectors[0].length : 0;
    const bars = function (k) {
        const v = k >= 0 && k < vectors.length ? vectors[k] : null;
        const out = [];
        for (let c = 0; c < width; c++) { out.push(v ? v[c] : null); }
        return out;
    };
    let label;
    const y = [];
    if (typeof epoch === "number" && isFinite(epoch)) {
        let t = -1;
        for (let i = 0; i < steps.length; i++) {
            if (steps[i] === epoch) { t = i; break; }
        }
        index.forEach(function (row) { y.push(bars(t >= 0 ? row[t] : -1)); });
        label = t >= 0 ? "step " + labels[t] : "step " + String(epoch) + " (not logged)";
        if (!steps.length) { label = "no steps"; }
    } else {
        const last = new Set();
        index.forEach(function (row) {
            let t = row.length - 1;
            while (t >= 0 && row[t] < 0) { t--; }
            y.push(bars(t >= 0 ? row[t] : -1));
            if (t >= 0) { last.add(t); }
        });
        const only = Array.from(last);
        label = !steps.length ? "no steps"
            : only.length === 1 ? "last step (" + labels[only[0]] + ")" : "last step";
    }
    return {y: y, title: recipe.title + label};
}

/* The marker shapes of a recipe (see components/figure_style.py, epoch_marker_meta) at a step;
   none when no epoch is selected or it lies outside the figure's steps. */
function epochMarkerShapes(recipe, epoch) {
    if (typeof epoch !== "number" || !isFinite(epoch)) {
        return [];
    }
    let v;
    if (recipe.snap) {
        const steps = recipe.snap;
        if (!steps.length || epoch < steps[0] - 1e-9 || epoch > steps[steps.length - 1] + 1e-9) {
            return [];
        }
        let best = 0;
        for (let i = 1; i < steps.length; i++) {
            if (Math.abs(steps[i] - epoch) < Math.abs(steps[best] - epoch)) {
                best = i;
            }
        }
        v = Math.floor(best / Math.max(recipe.bin, 1));
    } else {
        if (recipe.visible && (epoch < recipe.visible[0] || epoch > recipe.visible[1])) {
            return [];
        }
        v = (epoch - recipe.origin) * recipe.scale;
    }
    const at = recipe.offsets.map(function (o) { return o + v; });
    const a = recipe.span[0];
    const b = recipe.span[1];
    const base = {xref: recipe.xref, yref: recipe.yref, line: Object.assign({}, recipe.line),
                  layer: "above", name: recipe.name};
    if (recipe.kind === "path") {
        const path = at.map(function (c, k) {
            // one segment per tile crossed (gaps and the diagonal left out) when the recipe says so
            const spans = recipe.segments ? recipe.segments[k] : [[a, b]];
            return spans.map(function (s) {
                return recipe.axis === "y" ? "M" + s[0] + "," + c + "H" + s[1] : "M" + c + "," + s[0] + "V" + s[1];
            }).join("");
        }).join("");
        return [Object.assign({type: "path", path: path}, base)];
    }
    return at.map(function (c) {
        return recipe.axis === "y"
            ? Object.assign({type: "line", x0: a, x1: b, y0: c, y1: c}, base)
            : Object.assign({type: "line", x0: c, x1: c, y0: a, y1: b}, base);
    });
}

/* A press on the timeline chart focuses the timeline panel (Plotly's drag layer cancels the
   browser's own focus change), so ← / → work right after a click on a step, as the hint says.
   The same press hooks the chart's deselect event once: in select mode Plotly answers a
   double-click with plotly_deselect, and a double-click on the timeline means "every step" — the
   "Full range" button does that (Dash reports a deselect only when a brush was still selected). */
document.addEventListener("mousedown", function (event) {
    const target = event.target;
    const chart = target && target.closest ? target.closest("#timeline-graph") : null;
    if (!chart) {
        return;
    }
    const panel = chart.closest(".cf-timeline");
    if (panel && document.activeElement !== panel) {
        panel.focus({preventScroll: true});
    }
    const gd = chart.classList.contains("js-plotly-plot") ? chart : chart.querySelector(".js-plotly-plot");
    if (gd && gd.on && !gd._cfDeselectHooked) {
        gd._cfDeselectHooked = true;
        gd.on("plotly_deselect", function () {
            const full = document.getElementById("full-range-button");
            if (full) {
                full.click();
            }
        });
    }
}, true);

/* Keyboard: with the timeline focused (click it, or Tab to it), ← / → move the epoch one logged
   step, Esc clears it. The buttons do the work, so the keys behave exactly like them. */
document.addEventListener("keydown", function (event) {
    const panel = document.activeElement && document.activeElement.closest
        ? document.activeElement.closest(".cf-timeline") : null;
    if (!panel || event.altKey || event.ctrlKey || event.metaKey) {
        return;
    }
    const tag = document.activeElement.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || document.activeElement.getAttribute("role") === "slider") {
        return;
    }
    const target = {ArrowLeft: "epoch-prev", ArrowRight: "epoch-next", Escape: "epoch-clear"}[event.key];
    if (target) {
        event.preventDefault();
        document.getElementById(target).click();
    }
});

/* What an exported chart adds to the one on screen (text only: user strings are escaped). */
window.confusionflowExport = {
    escape: function (text) {
        return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    },
    /* {data, layout} of graph div ``gd`` with a title (the panel's heading and caption) and a
       series legend (the chips) in extra margins; the chart on screen is left as it is. */
    standalone: function (gd, panel) {
        const esc = window.confusionflowExport.escape;
        const full = gd._fullLayout;
        const layout = JSON.parse(JSON.stringify(gd.layout || {}));
        const heading = panel && panel.querySelector("h2");
        // the panel's visible, non-empty captions (a hidden sub-view's caption is not this chart's)
        const captions = panel ? Array.from(panel.querySelectorAll(".cf-caption")).filter(function (e) {
            return e.textContent && e.offsetParent !== null;
        }) : [];
        const caption = captions.length ? {textContent: captions.map(function (e) { return e.textContent; }).join(" · ")} : null;
        const chips = Array.from(document.querySelectorAll(".cf-chip")).map(function (chip) {
            const label = chip.querySelector(".cf-chip-label");
            const color = /^#[0-9a-fA-F]{6}$/.test(chip.dataset.color || "") ? chip.dataset.color : "#888888";
            return '<span style="color:' + color + '">■</span> ' + esc(label ? label.textContent : "");
        });
        const rows = [];
        for (let i = 0; i < chips.length; i += 4) { rows.push(chips.slice(i, i + 4).join("     ")); }
        const top = 46, bottom = 10 + 16 * rows.length;
        const margin = Object.assign({}, full.margin);
        layout.margin = {l: margin.l, r: margin.r, t: margin.t + top, b: margin.b + bottom};
        layout.width = full.width;
        layout.height = full.height + top + bottom;
        const title = (heading ? esc(heading.textContent) : "") +
            (caption && caption.textContent ? '<br><span style="font-size:11px">' + esc(caption.textContent) + "</span>" : "");
        layout.title = {text: title, x: 0, xref: "paper", xanchor: "left", y: 1 - 8 / layout.height,
                        yref: "container", yanchor: "top", font: {size: 15}};
        layout.annotations = (layout.annotations || []).concat(rows.length ? [{
            text: "series: " + rows.join("<br>"), xref: "paper", yref: "paper", x: 0, y: 0,
            xanchor: "left", yanchor: "top", yshift: -(margin.b + 4), align: "left",
            showarrow: false, font: {size: 11},
        }] : []);
        return {data: gd.data, layout: layout};
    },
};
