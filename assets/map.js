/* Leaflet style functions referenced from Python as {"variable": "iocMap.<name>"}. */
window.iocMap = Object.assign(window.iocMap || {}, {
    wardStyle: function (feature) {
        return {
            color: "#334155", weight: 1, opacity: 0.9,
            fillColor: (feature.properties && feature.properties.fill) || "#cccccc",
            fillOpacity: 0.75,
        };
    },
    wardHover: function () {
        return {weight: 3, color: "#f59e0b"};
    },
});
