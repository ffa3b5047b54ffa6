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
};

if (typeof module !== "undefined") {
    module.exports = window.confusionflowTimelineZoom;
}
