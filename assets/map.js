/* Map behaviour in the browser: Leaflet style functions (referenced from Python as
   {"variable": "iocMap.<name>"}), decoding of the compact point layers, filtering
   (clientside, so a filter change never re-sends points), cluster colours, and the
   clientside callbacks of /map: the choropleth's hideout (metric, ward layer, chosen
   ward), its legend, the point layers and their counts, the address bar.

   Nothing here names a layer, a colour or a label: they come from the layer registry
   (domain/map_layers.py), handed over by the page as JSON (the map-config store, in the
   current language, one per city) and kept in window.iocMap.config by the layer callbacks. Per
   layer it holds label, clustered, colour, radius, colour_by {column, colours, labels},
   alert {column, values}, ward_column, filters {filter: column}, popup [{column, label,
   show, values}]; besides: text (catalog labels), number {group, decimal, missing, range},
   legend [{label, colour}] (the points), ward_names {code: name} and wards {metrics {name:
   {label, breaks}}, colours, no_data, schematic} (the choropleth of the city). */
window.iocMap = Object.assign(window.iocMap || {}, (function () {
    const FALLBACK_COLOUR = "#334155";
    const decoded = {};
    let canvasRenderer = null;
    /* Unclustered points share one canvas instead of one SVG element each. */
    function canvas() {
        if (!canvasRenderer) { canvasRenderer = L.canvas({padding: 0.5}); }
        return canvasRenderer;
    }
    const current = {};  /* layer → the decoded data its features point into (for lazy popups) */

    function config() { return window.iocMap.config || {layers: {}, filters: [], text: {}}; }

    function layerConfig(layer) { return config().layers[layer] || {}; }

    function escapeHtml(text) {
        return String(text).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
        });
    }

    function cumulative(deltas) {
        const out = new Array(deltas.length);
        let sum = 0;
        for (let i = 0; i < deltas.length; i++) { sum += deltas[i]; out[i] = sum; }
        return out;
    }

    function decode(packed) {
        const lon = cumulative(packed.lon), lat = cumulative(packed.lat);
        const columns = {};
        Object.keys(packed.cat).forEach(function (name) {
            const spec = packed.cat[name];
            columns[name] = spec.codes.map(function (code) { return spec.values[code]; });
        });
        Object.keys(packed.text).forEach(function (name) {
            const spec = packed.text[name];
            if (spec.values) { columns[name] = spec.values; return; }
            columns[name] = cumulative(spec.delta).map(function (n) {
                return spec.prefix + String(n).padStart(spec.width, "0");
            });
        });
        Object.keys(packed.time).forEach(function (name) {
            columns[name] = cumulative(packed.time[name]);  /* UTC epoch minutes; -1 = none */
        });
        return {n: packed.n, lon: lon.map(function (v) { return v / packed.scale; }),
                lat: lat.map(function (v) { return v / packed.scale; }), columns: columns};
    }

    /* Let the browser paint between heavy steps (no long task). */
    function nextTask(value) {
        return new Promise(function (resolve) { setTimeout(function () { resolve(value); }, 0); });
    }

    function load(city, layer) {
        const url = "/api/v1/map/" + encodeURIComponent(city) + "/" + layer;
        if (!decoded[url]) {
            decoded[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
                if (!response.ok) { throw new Error("map layer " + layer + ": HTTP " + response.status); }
                return response.json();
            }).then(decode).then(nextTask).catch(function (error) { delete decoded[url]; throw error; });
        }
        return decoded[url];
    }

    function pad(n) { return String(n).padStart(2, "0"); }

    /* A number as domain.formatting.format_number writes it with `decimals` places (half up,
       grouped): vi 2.971 / 1,5, en 2,971 / 1.5; the separators come from the config. */
    function formatNumber(value, decimals, format) {
        if (value === null || value === undefined || !isFinite(value)) { return format.missing; }
        const places = decimals || 0;
        const magnitude = Math.abs(value);
        const shifted = Number(magnitude.toFixed(Math.min(places + 6, 20)) + "e" + places);
        const digits = (Math.round(shifted) / Math.pow(10, places)).toFixed(places).split(".");
        const whole = digits[0].replace(/\B(?=(\d{3})+(?!\d))/g, format.group);
        const sign = value < 0 && Math.round(shifted) !== 0 ? "-" : "";
        return sign + whole + (places ? format.decimal + digits[1] : "");
    }

    /* The legend's class rows of `metric`: each range in the config's number format. */
    function legendRows(cfg, metric) {
        const wards = cfg.wards || {metrics: {}, colours: []};
        const spec = wards.metrics[metric] || {label: "", breaks: []};
        let lower = 0;
        return spec.breaks.map(function (upper, i) {
            const row = {colour: wards.colours[i], text: formatNumber(lower, 1, cfg.number) + cfg.number.range +
                                                         formatNumber(upper, 1, cfg.number)};
            lower = upper;
            return row;
        });
    }

    /* The counts' props (components/map_key.MapCounts): the layers that show points. */
    function countsBlock(cfg, counts) {
        const rows = Object.keys(counts).filter(function (layer) { return counts[layer]; }).map(function (layer) {
            return {id: "map-count-" + layer,
                    text: layerConfig(layer).label + ": " + formatNumber(counts[layer], 0, cfg.number)};
        });
        return {heading: cfg.text.shown + ":", rows: rows};
    }

    /* City time from UTC minutes and the city's offset the server hands over (never the
       browser's zone): "20/11/2026 09:05" (vi), "20 Nov 2026 09:05" (en). */
    function cityTime(minutes) {
        if (minutes < 0) { return ""; }
        const cfg = config();
        const d = new Date((minutes + (cfg.utc_offset || 0)) * 60000);
        const clock = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
        if (cfg.lang === "en") {
            return d.getUTCDate() + " " + cfg.text.months[d.getUTCMonth()] + " " + d.getUTCFullYear() + " " + clock;
        }
        return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " + clock;
    }

    function shown(field, value, wardNames) {
        if (field.show === "enum") { return (field.values || {})[value] || value; }
        if (field.show === "ward") { return wardNames[value] || value; }
        if (field.show === "yes_no") { return value === "1" ? config().text.yes : config().text.no; }
        if (field.show === "time") { return cityTime(value); }
        return value;
    }

    function popupHtml(layer, c, i, wardNames) {
        const spec = layerConfig(layer);
        const rows = (spec.popup || []).filter(function (field) {
            return c[field.column] && c[field.column][i] !== "" && c[field.column][i] !== -1;
        }).map(function (field) {
            return "<tr><th>" + escapeHtml(field.label) + "</th><td>" +
                   escapeHtml(shown(field, c[field.column][i], wardNames)) + "</td></tr>";
        });
        return "<table class='popup'><caption>" + escapeHtml(spec.label || layer) + "</caption>" +
               rows.join("") + "</table>";
    }

    /* The layer's filters as [chosen values, column data] pairs, and its ward column. */
    function keeper(layer, c, filters) {
        const spec = layerConfig(layer);
        const checks = Object.keys(spec.filters || {}).map(function (name) {
            return [filters[name] || [], c[spec.filters[name]] || []];
        });
        const wards = c[spec.ward_column] || [];
        return function (i) {
            if (filters.ward && wards[i] !== filters.ward) { return false; }
            for (let k = 0; k < checks.length; k++) {
                if (checks[k][0].indexOf(checks[k][1][i]) < 0) { return false; }
            }
            return true;
        };
    }

    /* Features are built once per layer's data (a city's) and reused: a filter change only selects
       among them. */
    function allFeatures(layer, data) {
        current[layer] = data;
        if (data.features) { return data.features; }
        const c = data.columns;
        const out = new Array(data.n);
        const spec = layerConfig(layer);
        const colourBy = spec.colour_by ? c[spec.colour_by.column] : null;
        const alert = spec.alert ? c[spec.alert.column] : null;
        const down = spec.alert ? spec.alert.values : [];
        for (let i = 0; i < data.n; i++) {
            /* Short keys: the features are serialised for every filter change. v = the colour-by
               value, down = counts against the cluster (alert values). */
            const properties = {layer: layer, row: i};
            if (colourBy) { properties.v = colourBy[i]; }
            if (alert && down.indexOf(alert[i]) >= 0) { properties.down = 1; }
            out[i] = {type: "Feature", properties: properties,
                      geometry: {type: "Point", coordinates: [Math.round(data.lon[i] * 1e5) / 1e5,
                                                              Math.round(data.lat[i] * 1e5) / 1e5]}};
        }
        data.features = out;
        return out;
    }

    function features(layer, data, filters) {
        const all = allFeatures(layer, data);
        const keep = keeper(layer, data.columns, filters);
        const out = [];
        for (let i = 0; i < data.n; i++) {
            if (keep(i)) { out.push(all[i]); }
        }
        return {type: "FeatureCollection", features: out};
    }

    const EMPTY = {type: "FeatureCollection", features: []};
    /* Supercluster sums each cluster's points against it (`down`) while it builds the index. */
    const CLUSTER_SUMS = {
        map: function (properties) { return {down: properties.down ? 1 : 0}; },
        reduce: function (sums, properties) { sums.down += properties.down; },
    };

    /* The layer's cluster options as drawn, with CLUSTER_SUMS: once added, the same object again
       (a new one would make dash-leaflet build the index anew). */
    function withSums(options) {
        if (options && options.map === CLUSTER_SUMS.map) { return options; }
        return Object.assign({}, options || {}, CLUSTER_SUMS);
    }
    /* What drawLayers handed each layer last, the counts, and the language they were drawn in: an
       input that does not concern a layer leaves it alone (no re-clustering), and so does another
       config of the same city (the city's own after its layers were drawn on the switch, or the page
       translated in place, pages/map.py `translate`). */
    let handed = {lang: null, layers: {}, counts: null};

    /* A layers callback's arguments after its `fixed` first ones: the filters' values (in the order
       config.filters names them), then the layers' cluster options as the page drew them. */
    function filtersAfter(args, fixed, mapConfig) {
        const count = mapConfig.filters.length;
        return [Array.prototype.slice.call(args, fixed, fixed + count), args[fixed + count] || []];
    }

    /* The point layers of `city` (the outputs: the page's point layers, pattern ALL: data, cluster
       options, hideout; and the counts) from the cached decoded data, as the inputs say. A clustered
       layer kept under a config in another language is drawn again from its index (a new hideout):
       its markers' titles are in the config's language. */
    function drawLayers(mapConfig, city, layers, ward, filterValues, drawnOptions) {
        window.iocMap.config = mapConfig;
        const relabel = handed.lang !== null && handed.lang !== mapConfig.lang;
        if (handed.lang !== mapConfig.lang) { handed = {lang: mapConfig.lang, layers: handed.layers, counts: null}; }
        const outputs = window.dash_clientside.callback_context.outputs_list[0];
        const filters = {ward: ward || null};
        mapConfig.filters.forEach(function (name, i) { filters[name] = filterValues[i] || []; });
        const shownLayers = outputs.map(function (output) { return output.id.layer; });
        const wanted = shownLayers.map(function (layer) {
            const on = Boolean(city) && (layers || []).indexOf(layer) >= 0;
            const uses = Object.keys(layerConfig(layer).filters || {}).sort();
            const key = JSON.stringify([city, on, filters.ward,
                                        uses.map(function (name) { return filters[name]; })]);
            const before = handed.layers[layer];
            if (before && before.key === key && before.count !== undefined) {
                return Promise.resolve({same: true, count: before.count});
            }
            const entry = {key: key};
            handed.layers[layer] = entry;
            const made = !on ? Promise.resolve(EMPTY) : load(city, layer).then(function (data) {
                return features(layer, data, filters);
            });
            return made.then(function (collection) {
                entry.count = collection.features.length;
                return {same: false, count: entry.count, collection: collection};
            });
        });
        return Promise.all(wanted).then(function (results) {
            const counts = {};
            const collections = results.map(function (result, i) {
                counts[shownLayers[i]] = result.count;
                return result.same ? window.dash_clientside.no_update : result.collection;
            });
            const options = results.map(function (result, i) {
                const layer = shownLayers[i];
                return result.same || !layerConfig(layer).clustered ? window.dash_clientside.no_update
                    : withSums(drawnOptions[i]);
            });
            const hideouts = results.map(function (result, i) {
                return relabel && result.same && layerConfig(shownLayers[i]).clustered
                    ? {lang: mapConfig.lang} : window.dash_clientside.no_update;
            });
            const countKey = JSON.stringify(counts);
            const block = countKey === handed.counts ? window.dash_clientside.no_update
                : countsBlock(mapConfig, counts);
            handed.counts = countKey;
            return [collections, options, hideouts, block];
        });
    }

    return {
        /* A ward's outline and fill: the fill of hideout.metric among the feature's `fills` (the map
           page, every metric sent at once), else its one `fill` (the overview); none when hideout.wards
           is false (the ward layer is off, the outlines stay clickable). */
        wardStyle: function (feature, context) {
            const hideout = (context && context.hideout) || {};
            const p = feature.properties || {};
            const selected = hideout.selected === p.gso_code;
            let fill = (p.fills && p.fills[hideout.metric]) || p.fill || "#cccccc";
            if (hideout.wards === false) { fill = "transparent"; }
            return {color: selected ? "#f59e0b" : "#334155", weight: selected ? 4 : 1, opacity: 0.9,
                    fillColor: fill, fillOpacity: 0.6};
        },
        wardHover: function () { return {weight: 3, color: "#f59e0b"}; },

        /* The ward's name and its value of the metric drawn (dash-leaflet draws the wards again,
           and so calls this again, when the hideout changes). On /map the value is written when
           the tooltip opens, in the number format of the page's config: a language switch sends a
           new config, not the wards. The overview's wards carry their tooltip written. */
        wardTooltip: function (feature, layer, context) {
            const p = feature.properties || {};
            const metric = context && context.hideout ? context.hideout.metric : null;
            if (p.values) {
                layer.bindTooltip(function () {
                    const format = config().number;
                    const value = format ? formatNumber(p.values[metric], 1, format) : "";
                    return escapeHtml(p.name + ": " + value);
                });
            } else if (p.tooltip) {
                layer.bindTooltip(escapeHtml(p.tooltip));
            }
        },

        /* Clientside callbacks of the ward layer: a click chooses the ward; metric, ward layer and
           the chosen ward go to the style through hideout (pages/map.py ward_hideout is the same). */
        clickedWard: function (feature) {
            const code = feature && feature.properties && feature.properties.gso_code;
            return code || window.dash_clientside.no_update;
        },
        wardHideout: function (metric, layers, ward) {
            return {metric: metric, wards: (layers || []).indexOf("wards") >= 0, selected: ward || null};
        },

        /* Clientside callback: the legend's props (components/map_key.MapLegend) for the chosen metric
           (class ranges from the city's breaks), no data, the points' colours; the schematic note
           while the wards are a sketch. */
        drawLegend: function (mapConfig, metric) {
            if (!mapConfig || !mapConfig.wards) { return null; }
            const wards = mapConfig.wards;
            const spec = wards.metrics[metric] || {label: ""};
            return {note: wards.schematic ? mapConfig.text.schematic : null, unit: spec.label,
                    rows: legendRows(mapConfig, metric),
                    no_data: {colour: wards.no_data, text: mapConfig.text.no_data},
                    points: mapConfig.legend};
        },

        /* Popups are built when opened, not for all 20,000 points up front. */
        bindPopup: function (feature, layer) {
            const p = feature.properties;
            if (p.row === undefined || !current[p.layer]) { return; }
            layer.bindPopup(function () {
                return popupHtml(p.layer, current[p.layer].columns, p.row, config().ward_names || {});
            });
        },

        pointToLayer: function (feature, latlng) {
            const p = feature.properties;
            const spec = layerConfig(p.layer);
            const by = spec.colour_by;
            const colour = (by && by.colours[p.v]) || spec.colour || FALLBACK_COLOUR;
            if (spec.clustered) {
                /* A DOM marker (not canvas), so what is drawn can be counted and inspected. */
                return L.marker(latlng, {icon: L.divIcon({className: "point-marker", iconSize: L.point(12, 12),
                                                          html: "<span style='background:" + colour + "'></span>"}),
                                         title: (by && by.labels[p.v]) || ""});
            }
            return L.circleMarker(latlng, {radius: spec.radius || 5, color: "#ffffff", weight: 1, fillColor: colour,
                                           fillOpacity: 0.9, renderer: canvas()});
        },

        /* A cluster's `down` is summed by the index as it is built (CLUSTER_SUMS), not by walking
           its leaves at every draw (170,000 leaves at a province's first view). */
        clusterToLayer: function (feature, latlng) {
            const count = feature.properties.point_count;
            const share = count ? (feature.properties.down || 0) / count : 0;
            const level = share >= 0.1 ? "bad" : (share >= 0.04 ? "warn" : "ok");
            const size = count < 100 ? 34 : (count < 1000 ? 42 : 50);
            const decimal = (config().number || {}).decimal || ",";
            const label = count >= 1000 ? (count / 1000).toFixed(1).replace(".", decimal) + "k" : String(count);
            const icon = L.divIcon({
                html: "<div class='cluster-ring' style='--down:" + Math.round(share * 100) + "%'><span>" +
                      label + "</span></div>",
                className: "marker-cluster cluster-" + level, iconSize: L.point(size, size),
            });
            const title = count + " · " + Math.round(share * 100) + "% " + config().text.down;
            const marker = L.marker(latlng, {icon: icon, alt: String(count), title: title});
            marker.options.pointCount = count;
            return marker;
        },

        /* Clientside callback: start fetching the shown point layers as soon as the page is drawn
           or the city changes, while the page still waits for the map's config (`load` keeps the
           promise that updateLayers then takes up). Only layers drawn on this page: the role may
           see them. */
        prefetch: function (city, layers, layerIds) {
            const present = (layerIds || []).map(function (id) { return id.layer; });
            (layers || []).forEach(function (layer) {
                if (city && present.indexOf(layer) >= 0) { load(city, layer).catch(function () {}); }
            });
            return window.dash_clientside.no_update;
        },

        /* Clientside callback: (re)build the point layers an input concerns (drawLayers), of the
           config's city: its ward names and layers arrive together. */
        updateLayers: function (mapConfig, layers, ward) {
            if (!mapConfig) { throw window.dash_clientside.PreventUpdate; }
            const [values, options] = filtersAfter(arguments, 3, mapConfig);
            return drawLayers(mapConfig, mapConfig.city, layers, ward, values, options);
        },

        /* Clientside callback: another city's point layers as soon as it is asked for (the map-city
           store), drawn under the config shown (the layers, their words and filters are every city's),
           while the server makes the city's map: updateLayers waits for that answer (Dash holds a
           callback back while one of its inputs is on its way), and supercluster's index of 20,000
           cameras was built after it. A chosen ward is the other city's: left to updateLayers. */
        layersForCity: function (asked, mapConfig, layers, ward) {
            if (!asked || !mapConfig || ward || asked === mapConfig.city) {
                throw window.dash_clientside.PreventUpdate;
            }
            const [values, options] = filtersAfter(arguments, 4, mapConfig);
            return drawLayers(mapConfig, asked, layers, null, values, options);
        },

        /* Clientside callback: keep the address bar in step with the view, without reloading
           (assets/address.js writes it once the page is idle). */
        syncUrl: function (mapConfig, layers, metric, ward) {
            if (!mapConfig) { return window.dash_clientside.no_update; }
            const values = Array.prototype.slice.call(arguments, 4);
            window.iocAddress.edit(function (params) {
                const set = function (name, value) {
                    if (value) { params.set(name, value); } else { params.delete(name); }
                };
                set("layers", (layers || []).join(","));
                set("metric", metric);
                mapConfig.filters.forEach(function (name, i) { set(name, (values[i] || []).join(",")); });
                set("ward", ward);
            });
            return window.dash_clientside.no_update;
        },
    };
})());
