/* The first view's matrix picture (html.Img#matrix-preview, drawn on the server by
   components/matrix_preview.py and placed by app/first_view.py) stays on screen until Plotly has
   drawn the matrix graph's first real figure — any figure but the "Loading the view…"
   placeholder, whose layout.meta says {loading: true} — and is then hidden for good. */
(function () {
    "use strict";
    function hideWhenDrawn(gd) {
        if (gd.__cfPreviewWatched) {
            return;
        }
        gd.__cfPreviewWatched = true;
        function hideIfReal() {
            const meta = gd.layout && gd.layout.meta;
            if (meta && meta.loading) {
                return;
            }
            const picture = document.getElementById("matrix-preview");
            if (picture) {
                picture.style.display = "none";
            }
        }
        gd.on("plotly_afterplot", hideIfReal);
        // the layout carries the first figure: Plotly may have drawn it before this ran
        if (gd.querySelector(".heatmaplayer image, .scatterlayer .trace")) {
            hideIfReal();
        }
    }
    const observer = new MutationObserver(function () {
        const holder = document.getElementById("matrix-graph");
        const gd = holder && (holder.classList.contains("js-plotly-plot")
            ? holder : holder.querySelector(".js-plotly-plot"));
        if (gd && typeof gd.on === "function") {
            hideWhenDrawn(gd);
            observer.disconnect();
        }
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
}());
