/* The timeline's zoom events, filtered in the page before they reach the server.

   dcc.Graph reports every Plotly relayout as relayoutData: a drag-zoom or a double-click on the
   x axis, but also the autosize of each first draw and window resize. When a callback is
   requested again while its previous request is still running, Dash drops the running one's
   answer. A no-op autosize sent to the range callback therefore cancelled a range the page had
   just asked for (the opened link's range, a new selection's steps) and answered nothing itself:
   the label, the slider and every view stayed on the old range. Only x-range changes are passed
   on (to the TIMELINE_ZOOM store the range callback listens to); anything else changes nothing,
   so no request is made. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cftimeline: {
        /* The relayout event when it is about the x range, else no_update. */
        zoomOnly: function (relayout) {
            const keep = window.confusionflowTimelineZoom.xRangeEvent(relayout);
            return keep ? relayout : window.dash_clientside.no_update;
        },
        /* A brush (box selection) on the timeline, or its deselect (null): anything else, e.g.
           the {points: []} Plotly reports when a redraw drops the box, selects no range. */
        brushOnly: function (selected) {
            const keep = window.confusionflowTimelineZoom.brushEvent(selected);
            return keep ? selected : window.dash_clientside.no_update;
        },
        /* The slider's positions, unless they show the range already stored: the slider reports
           the value the range callback has just set on it, and that echo asks for nothing. */
        /* The page's query with the epoch moved (the server writes every other change of the
           view): an epoch move asks nothing of the server for the address bar. */
        epochQuery: function (epoch, shown) {
            if (typeof shown !== "string") {
                return window.dash_clientside.no_update;
            }
            const query = window.confusionflowTimelineZoom.epochInQuery(shown, epoch);
            return query === shown ? window.dash_clientside.no_update : query;
        },
        sliderOnly: function (value, selection, range) {
            const steps = selection && Array.isArray(selection.steps) ? selection.steps : null;
            const same = window.confusionflowTimelineZoom.sliderShows(value, steps, range);
            return same ? window.dash_clientside.no_update : value;
        },
    },
});

window.confusionflowTimelineZoom = {
    /* Whether a relayoutData object changes the x range: "xaxis.range[0]"/"[1]", "xaxis.range"
       or "xaxis.autorange" (a double-click). Autosize, y-axis and drag-mode events do not. */
    xRangeEvent: function (relayout) {
        if (!relayout || typeof relayout !== "object") {
            return false;
        }
        return ["xaxis.range[0]", "xaxis.range[1]", "xaxis.range", "xaxis.autorange"].some(
            function (key) { return Object.prototype.hasOwnProperty.call(relayout, key); }
        );
    },
    /* Whether a selectedData is a brush the range callback reads (an x range of two numbers) or
       the deselect (null) that means "every step"; range_from_selection reads nothing else. */
    brushEvent: function (selected) {
        if (selected === null || selected === undefined) {
            return true;
        }
        const box = selected && typeof selected === "object" ? selected.range : null;
        const x = box && typeof box === "object" ? box.x : null;
        return Array.isArray(x) && x.length === 2;
    },
    /* ``query`` (as app/state.py's to_query writes it) with its epoch pair set to ``epoch`` (a
       finite number; anything else drops the pair), at the place to_query puts it: after the
       range, before the detail target. Numbers print as JavaScript's String, as the epoch label
       does (for logged steps the same text as format_step). */
    epochInQuery: function (query, epoch) {
        const key = function (pair) { return pair.split("=")[0]; };
        const pairs = query.replace(/^\?/, "").split("&").filter(function (p) {
            return p && key(p) !== "epoch";
        });
        if (typeof epoch === "number" && isFinite(epoch)) {
            const at = pairs.findIndex(function (p) { return ["detail", "dt", "dp"].indexOf(key(p)) >= 0; });
            pairs.splice(at < 0 ? pairs.length : at, 0, "epoch=" + String(epoch));
        }
        return pairs.length ? "?" + pairs.join("&") : "";
    },
    /* Whether slider positions ``value`` ([i0, i1] into ``steps``, the selection's logged steps)
       show the stored ``range`` ([lo, hi] steps, null for every step). Without the steps, or
       with positions outside them, it cannot tell: false, and the server decides. */
    sliderShows: function (value, steps, range) {
        if (!Array.isArray(value) || value.length !== 2 || !Array.isArray(steps) || !steps.length) {
            return false;
        }
        const i0 = Math.min(value[0], value[1]), i1 = Math.max(value[0], value[1]);
        if (!Number.isInteger(i0) || !Number.isInteger(i1) || i0 < 0 || i1 >= steps.length) {
            return false;
        }
        if (range === null || range === undefined) {
            return i0 === 0 && i1 === steps.length - 1;
        }
        return Array.isArray(range) && range.length === 2 && steps[i0] === Math.min(range[0], range[1])
            && steps[i1] === Math.max(range[0], range[1]);
    },
};

if (typeof module !== "undefined") {
    module.exports = window.confusionflowTimelineZoom;
}
