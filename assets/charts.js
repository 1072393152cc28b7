/* Charts (dcc.Graph, plotly.js). dcc.Graph asks plotly to fit a chart to its box whenever the box
   may have changed: once its size observer first reports, 50 ms later, and that timer runs late
   when the page is busy drawing, so it fell after a page's first figures and laid them out again,
   whole (~50 ms a chart). A chart whose size already is its box's is left as it is: plotly would
   find the same size (Plots.plotAutoSize keeps a size within 1 px) and draw it again all the same. */
(function () {
    "use strict";

    function sameSize(gd, style) {
        const full = gd && gd._fullLayout;
        if (!full || !style) { return false; }
        const width = parseFloat(style.width), height = parseFloat(style.height);
        return Math.abs(full.width - width) <= 1 && Math.abs(full.height - height) <= 1;
    }

    function guard(Plotly) {
        if (!Plotly || !Plotly.Plots || Plotly.Plots.__iocGuarded) { return; }
        const resize = Plotly.Plots.resize;
        Plotly.Plots.resize = function (gd) {
            const element = typeof gd === "string" ? document.getElementById(gd) : gd;
            if (element && element.isConnected && sameSize(element, window.getComputedStyle(element))) {
                return Promise.resolve(element);
            }
            return resize.apply(this, arguments);
        };
        Plotly.Plots.__iocGuarded = true;
    }

    if (window.Plotly) {
        guard(window.Plotly);
        return;
    }
    // dcc.Graph loads plotly.js when a page first shows a chart: guard it as it arrives.
    let plotly;
    Object.defineProperty(window, "Plotly", {
        configurable: true, enumerable: true,
        get: function () { return plotly; },
        set: function (value) { plotly = value; guard(value); },
    });
})();
