/* Browser-side reactions that need no server: SVG export of a chart, showing/hiding a drawer. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    confusionflow: {
        /* Download the chart whose "SVG" button was clicked, drawn by Plotly from the screen. */
        exportSvg: function (clicks) {
            const ctx = window.dash_clientside.callback_context;
            const trig = ctx && ctx.triggered_id;
            if (!trig || !trig.graph || !clicks || !clicks.some(function (n) { return n; })) {
                return window.dash_clientside.no_update;
            }
            const holder = document.getElementById(trig.graph);
            const gd = holder && (holder.classList.contains("js-plotly-plot")
                ? holder : holder.querySelector(".js-plotly-plot"));
            if (gd && window.Plotly) {
                window.Plotly.downloadImage(gd, {format: "svg", filename: trig.graph});
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
        /* Show the view's query string in the address bar without adding a history entry. */
        replaceQuery: function (query) {
            if (typeof query !== "string" || query === window.location.search) {
                return window.dash_clientside.no_update;
            }
            const url = window.location.pathname + query + window.location.hash;
            window.history.replaceState(window.history.state, "", url);
            return query;
        },
        toggleHidden: function (n, hidden) {
            return n ? !hidden : hidden;
        }
    }
});

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
