/* dcc.Graph asks Plotly.Plots.resize twice after a graph's first plot (once itself, once from its
   resize detector's first report); plotly waits 100 ms and then relayouts the graph with
   autosize: a full redraw, and a plotly_relayout that dcc reports as relayoutData, even when the
   graph's box has not changed. On a first view that put 0.2-0.4 s between the last figure drawn
   and a settled page (docs/PERFORMANCE.md, "The first view without a hidden graph or a resize").
   Here a resize of a drawn graph whose box is the size it was drawn at (within 1 px, the tolerance
   of plotly's own plotAutoSize) is answered at once; every other resize is plotly's. The patch is
   applied as soon as plotly.js defines window.Plotly (this script runs before the deferred
   bundle). */
(function () {
    "use strict";
    function drawnAtThisSize(gd) {
        const full = gd && gd._fullLayout;
        if (!full || !gd.layout || !gd.isConnected) {
            return false;
        }
        const style = window.getComputedStyle(gd);
        const width = parseFloat(style.width);
        const height = parseFloat(style.height);
        return Math.abs(full.width - width) <= 1 && Math.abs(full.height - height) <= 1;
    }
    function patch(plotly) {
        const plots = plotly && plotly.Plots;
        if (!plots || typeof plots.resize !== "function" || plots.resize.cfSameSize) {
            return;
        }
        const resize = plots.resize;
        const sameSizeFirst = function (gd) {
            const div = typeof gd === "string" ? document.getElementById(gd) : gd;
            if (drawnAtThisSize(div)) {
                return Promise.resolve(div);
            }
            return resize.apply(this, arguments);
        };
        sameSizeFirst.cfSameSize = true;
        plots.resize = sameSizeFirst;
    }
    if (window.Plotly) {
        patch(window.Plotly);
        return;
    }
    let plotly;
    Object.defineProperty(window, "Plotly", {
        configurable: true,
        enumerable: true,
        get: function () { return plotly; },
        set: function (value) {
            plotly = value;
            patch(value);
        },
    });
}());
