/* The /map page's legend and counts (components/map_key.MapLegend, MapCounts): one component each,
   laid out here in the elements and classes the html components had (the CSS, the wall and the tests
   read those). No words here: every text arrives in the config's language (assets/map.js). */
(function () {
    "use strict";
    const e = window.React.createElement;

    function swatched(className, colour, text, key) {
        return e("div", {key: key, className: className || undefined},
                 e("span", {className: "swatch", style: {background: colour}}), text);
    }

    function MapLegend(props) {
        const legend = props.legend;
        if (!legend) { return e("div", {id: props.id, className: props.className}); }
        return e("div", {id: props.id, className: props.className},
                 legend.note ? e("small", {className: "schematic-note"}, legend.note) : null,
                 e("div", {className: "map-legend"}, e("div", {className: "legend-unit"}, legend.unit),
                   (legend.rows || []).map(function (row, i) { return swatched(null, row.colour, row.text, i); })),
                 swatched("legend-row", legend.no_data.colour, legend.no_data.text),
                 e("div", {className: "point-legend"}, (legend.points || []).map(function (point, i) {
                     return e("div", {key: i, className: "legend-row"},
                              e("span", {className: "dot", style: {background: point.colour}}), point.label);
                 })));
    }

    function MapCounts(props) {
        const counts = props.counts;
        return e("div", {id: props.id, className: props.className}, counts ? [e("div", {key: ""}, counts.heading)]
            .concat((counts.rows || []).map(function (row) { return e("div", {key: row.id, id: row.id}, row.text); }))
            : null);
    }

    window.ioc_components = Object.assign(window.ioc_components || {}, {MapLegend: MapLegend, MapCounts: MapCounts});
})();
