/* Charts (dcc.Graph, plotly.js). dcc.Graph asks plotly to fit a chart to its box whenever the box
   may have changed: once its size observer first reports, 50 ms later, and that timer runs late
   when the page is busy drawing, so it fell after a page's first figures and laid them out again,
   whole (~50 ms a chart). A chart whose size already is its box's is left as it is: plotly would
   find the same size (Plots.plotAutoSize keeps a size within 1 px) and draw it again all the same.

   A title wider than a narrow chart is set smaller until it fits (plotly cut it at the edge); value
   labels too crowded to read side by side take turns above and below their points, or give way.

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

    /* What a figure's layout takes from its template (components/chart_style.py), {} without one. */
    function templateLayout(layout) {
        return (layout && layout.template && layout.template.layout) || {};
    }

    /* The margins a layout asks for: its own over its template's over plotly's defaults. */
    function askedMargins(layout) {
        return Object.assign({}, PLOTLY_MARGINS, templateLayout(layout).margin, layout.margin);
    }

    /* A layout's font over its template's. */
    function baseFont(layout) {
        return Object.assign({}, templateLayout(layout).font, layout.font);
    }

    function styleOf(layout) {
        const template = templateLayout(layout);
        return JSON.stringify(template.meta ? template.meta : null);
    }

    // The margins a new `layout` for `gd` starts from: each side as its last drawing found it, when
    // that was wider than the side asked for and the chart keeps its style (theme, wall, print).
    function keptMargins(gd, layout) {
        const full = gd && gd._fullLayout, size = full && full._size;
        if (!size || !layout || styleOf(gd.layout) !== styleOf(layout)) { return null; }
        const asked = askedMargins(layout);
        const margin = Object.assign({}, layout.margin);
        let kept = false;
        SIDES.forEach(function (side) {
            if (size[side] > asked[side]) { margin[side] = size[side]; kept = true; }
        });
        return kept ? margin : null;
    }

    /* A title wider than its chart (a phone, a narrow panel) is set smaller until its widest line
       fits: plotly neither wraps nor shrinks a title, it cut it at the chart's edge. */
    let measurer = null;
    function textWidth(text, size, family, bold) {
        measurer = measurer || window.document.createElement("canvas").getContext("2d");
        measurer.font = (bold ? "bold " : "") + size + "px " + family;
        return measurer.measureText(text).width;
    }

    function fittedTitle(gd, layout) {
        const title = layout && layout.title;
        const width = gd && gd.clientWidth;
        if (!title || typeof title.text !== "string" || !width) { return null; }
        const template = templateLayout(layout);
        const font = baseFont(layout);
        const titleFont = Object.assign({}, template.title && template.title.font, title.font);
        const size = titleFont.size || Math.round((font.size || 12) * 1.4);  // plotly: 1.4 × the font
        const family = titleFont.family || font.family || "sans-serif";
        const x = title.x !== undefined ? title.x : (template.title && template.title.x) || 0;
        const room = width * (1 - x) - 8;
        const needed = Math.max.apply(null, title.text.split(/<br\s*\/?>/i).map(function (line) {
            const sub = /<su[pb]>/i.test(line);
            return textWidth(line.replace(/<[^>]+>/g, ""), sub ? size * 0.7 : size, family, /<b>/i.test(line));
        }));
        if (!(needed > room)) { return null; }
        const fitted = Math.max(9, Math.floor(size * room / needed));
        return Object.assign({}, title, {font: Object.assign({}, title.font, {size: fitted})});
    }

    /* Value labels over a chart's points (the /services dot chart's rates) that would run into their
       neighbours on a narrow chart go above and below the points in turn; when even that is too
       tight they are left to the hover, which shows the same text. */
    const OTHER_SIDE = {top: "bottom", bottom: "top"};
    function spacedLabels(gd, figure) {
        const width = gd && gd.clientWidth, layout = figure.layout || {};
        if (!width || !Array.isArray(figure.data)) { return null; }
        const margin = askedMargins(layout), font = baseFont(layout);
        const room = width - margin.l - margin.r;
        let changed = false;
        const data = figure.data.map(function (trace) {
            const labels = trace && Array.isArray(trace.text) ? trace.text : [];
            const mode = String(labels.length && trace.mode || "");
            if (mode.split("+").indexOf("text") < 0 || mode === "text" || Array.isArray(trace.textposition)) {
                return trace;
            }
            const position = typeof trace.textposition === "string" ? trace.textposition : "top center";
            const textfont = trace.textfont || {};
            const widest = Math.max.apply(null, labels.map(function (label) {
                return textWidth(String(label), textfont.size || font.size || 12,
                                 textfont.family || font.family || "sans-serif", false);
            }));
            const slot = room / labels.length, side = position.split(" ")[0];
            if (widest + 4 <= slot) { return trace; }
            changed = true;
            if (OTHER_SIDE[side] && widest + 4 <= 2 * slot) {
                const other = position.replace(side, OTHER_SIDE[side]);
                return Object.assign({}, trace, {textposition: labels.map(function (_label, i) {
                    return i % 2 ? other : position;
                })});
            }
            return Object.assign({}, trace, {mode: mode.split("+").filter(function (part) {
                return part !== "text";
            }).join("+")});
        });
        return changed ? data : null;
    }

    function guard(Plotly) {
        if (!Plotly || !Plotly.Plots || Plotly.Plots.__iocGuarded) { return; }
        const react = Plotly.react;
        Plotly.react = function (gd, figure) {
            if (figure && typeof figure === "object") {
                const element = typeof gd === "string" ? document.getElementById(gd) : gd;
                const margin = keptMargins(element, figure.layout);
                if (margin) { figure.layout = Object.assign({}, figure.layout, {margin: margin}); }
                const title = fittedTitle(element, figure.layout);
                if (title) { figure.layout = Object.assign({}, figure.layout, {title: title}); }
                const data = spacedLabels(element, figure);
                if (data) { figure.data = data; }
            }
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
