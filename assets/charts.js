/* Charts (dcc.Graph, plotly.js). dcc.Graph asks plotly to fit a chart to its box whenever the box
   may have changed: once its size observer first reports, 50 ms later, and that timer runs late
   when the page is busy drawing, so it fell after a page's first figures and laid them out again,
   whole (~50 ms a chart). A chart whose size already is its box's is left as it is: plotly would
   find the same size (Plots.plotAutoSize keeps a size within 1 px) and draw it again all the same.

   A chart given new data (another period) is laid out from its template's margins; plotly then finds
   that its labels need more room and draws the whole chart a second time (~20 ms a chart). Drawn
   again in the same style, a chart starts from the margins its last drawing found, so the labels
   fit at the first try; labels that need more still get more. */
(function () {
    "use strict";

    function sameSize(gd, style) {
        const full = gd && gd._fullLayout;
        if (!full || !style) { return false; }
        const width = parseFloat(style.width), height = parseFloat(style.height);
        return Math.abs(full.width - width) <= 1 && Math.abs(full.height - height) <= 1;
    }

    const SIDES = ["l", "r", "t", "b"];
    const PLOTLY_MARGINS = {l: 80, r: 80, t: 100, b: 80};

    function styleOf(layout) {
        const template = layout && layout.template && layout.template.layout;
        return JSON.stringify(template && template.meta ? template.meta : null);
    }

    // The margins a new `layout` for `gd` starts from: each side as its last drawing found it, when
    // that was wider than the side asked for and the chart keeps its style (theme, wall, print).
    function keptMargins(gd, layout) {
        const full = gd && gd._fullLayout, size = full && full._size;
        if (!size || !layout || styleOf(gd.layout) !== styleOf(layout)) { return null; }
        const template = layout.template && layout.template.layout && layout.template.layout.margin;
        const asked = Object.assign({}, PLOTLY_MARGINS, template, layout.margin);
        const margin = Object.assign({}, layout.margin);
        let kept = false;
        SIDES.forEach(function (side) {
            if (size[side] > asked[side]) { margin[side] = size[side]; kept = true; }
        });
        return kept ? margin : null;
    }

    function guard(Plotly) {
        if (!Plotly || !Plotly.Plots || Plotly.Plots.__iocGuarded) { return; }
        const react = Plotly.react;
        Plotly.react = function (gd, figure) {
            const element = typeof gd === "string" ? document.getElementById(gd) : gd;
            const margin = figure && typeof figure === "object" ? keptMargins(element, figure.layout) : null;
            if (margin) { figure.layout = Object.assign({}, figure.layout, {margin: margin}); }
            return react.apply(this, arguments);
        };
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
