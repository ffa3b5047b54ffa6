/* dcc.Graph draws with window.Plotly; if a graph mounts before the deferred plotly.js bundle has
   run, it loads plotly.js itself from window._dashPlotlyJSURL (Dash's full 4.8 MB bundle). Point that
   URL at the bundle this page already loads (the <script data-plotly-bundle> tag, see
   app/delivery.py), so the page never fetches a second plotly.js. */
(function () {
    var tag = document.querySelector("script[data-plotly-bundle]");
    if (!tag) {
        return;
    }
    Object.defineProperty(window, "_dashPlotlyJSURL", {
        configurable: true,
        get: function () { return tag.src; },
        set: function () { /* the renderer's own URL is ignored */ }
    });
})();
