/* Map behaviour in the browser: Leaflet style functions (referenced from Python as
   {"variable": "iocMap.<name>"}), decoding of the compact point layers, filtering
   (clientside, so a filter change never re-sends points), cluster colours. */
window.iocMap = Object.assign(window.iocMap || {}, (function () {
    const STATUS_COLOURS = {online: "#16a34a", offline: "#dc2626", maintenance: "#f59e0b", active: "#16a34a"};
    const LAYER_COLOURS = {security: "#1d4ed8", traffic: "#7c3aed", wifi: "#0891b2", free_wifi: "#db2777",
                           incidents: "#dc2626", sensors: "#059669"};
    const decoded = {};
    let canvasRenderer = null;
    /* Unclustered points share one canvas instead of one SVG element each. */
    function canvas() {
        if (!canvasRenderer) { canvasRenderer = L.canvas({padding: 0.5}); }
        return canvasRenderer;
    }
    const current = {};  /* layer → the decoded data its features point into (for lazy popups) */

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
            columns[name] = cumulative(packed.time[name]).map(function (m) {
                return m < 0 ? "" : new Date(m * 60000).toISOString().slice(0, 16).replace("T", " ");
            });
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

    function popupHtml(layer, c, i, wardNames) {
        const rows = [];
        const ward = wardNames[c.ward_code[i]] || c.ward_code[i];
        if (layer === "security" || layer === "traffic") {
            rows.push(["Mã", c.id[i]], ["Loại", layer === "security" ? "Camera an ninh" : "Camera giao thông"],
                      ["Trạng thái", c.status[i]], ["Chủ sở hữu", c.owner[i]], ["Lần cuối", c.last_seen[i]]);
        } else if (layer === "wifi") {
            rows.push(["Mã", c.id[i]], ["Loại", c.kind[i] === "free_wifi" ? "Wifi miễn phí" : "Điểm truy cập"],
                      ["Nhà mạng", c.provider[i]], ["Trạng thái", c.status[i]]);
        } else if (layer === "key_locations") {
            rows.push(["Điểm", c.name[i]], ["Camera an ninh", c.security[i] === "1" ? "có" : "chưa"],
                      ["Camera giao thông", c.traffic[i] === "1" ? "có" : "chưa"]);
        } else if (layer === "incidents") {
            rows.push(["Sự cố", c.category[i]], ["Mức độ", c.severity[i]], ["Tiếp nhận", c.reported_at[i]]);
        } else {
            rows.push(["Trạm", c.name[i]], ["Loại", c.kind[i]]);
        }
        rows.push(["Phường/xã", ward]);
        return "<table class='popup'>" + rows.map(function (r) {
            return "<tr><th>" + escapeHtml(r[0]) + "</th><td>" + escapeHtml(r[1]) + "</td></tr>";
        }).join("") + "</table>";
    }

    function keep(layer, c, i, filters) {
        if (filters.ward && c.ward_code[i] !== filters.ward) { return false; }
        if (layer === "security" || layer === "traffic") {
            return filters.status.indexOf(c.status[i]) >= 0 && filters.owner.indexOf(c.owner[i]) >= 0;
        }
        if (layer === "wifi") {
            return filters.provider.indexOf(c.provider[i]) >= 0 && filters.ap_kind.indexOf(c.kind[i]) >= 0;
        }
        return true;
    }

    /* Features are built once per layer and reused: a filter change only selects among them. */
    function allFeatures(layer, data, wardNames) {
        if (data.features && data.wardNames === wardNames) { return data.features; }
        const c = data.columns;
        const out = new Array(data.n);
        current[layer] = {data: data, wardNames: wardNames};
        for (let i = 0; i < data.n; i++) {
            /* Short keys: the features are serialised for every filter change. */
            const properties = {layer: layer, row: i};
            if (c.status) { properties.status = c.status[i]; }
            if (c.kind) { properties.kind = c.kind[i]; }
            if (c.security) { properties.covered = c.security[i] === "1" || c.traffic[i] === "1"; }
            out[i] = {type: "Feature", properties: properties,
                      geometry: {type: "Point", coordinates: [Math.round(data.lon[i] * 1e5) / 1e5,
                                                              Math.round(data.lat[i] * 1e5) / 1e5]}};
        }
        data.features = out;
        data.wardNames = wardNames;
        return out;
    }

    function features(layer, data, filters, wardNames) {
        const all = allFeatures(layer, data, wardNames);
        const c = data.columns;
        const out = [];
        for (let i = 0; i < data.n; i++) {
            if (keep(layer, c, i, filters)) { out.push(all[i]); }
        }
        return {type: "FeatureCollection", features: out};
    }

    const POINT_LAYERS = ["security", "traffic", "wifi", "key_locations", "incidents", "sensors"];
    const CLUSTERED = ["security", "traffic", "wifi"];
    const EMPTY = {type: "FeatureCollection", features: []};

    return {
        wardStyle: function (feature, context) {
            const selected = context && context.hideout && context.hideout.selected === feature.properties.gso_code;
            return {color: selected ? "#f59e0b" : "#334155", weight: selected ? 4 : 1, opacity: 0.9,
                    fillColor: (feature.properties && feature.properties.fill) || "#cccccc", fillOpacity: 0.6};
        },
        wardHover: function () { return {weight: 3, color: "#f59e0b"}; },

        /* Popups are built when opened, not for all 20,000 points up front. */
        bindPopup: function (feature, layer) {
            const p = feature.properties;
            if (p.row === undefined || !current[p.layer]) { return; }
            layer.bindPopup(function () {
                const entry = current[p.layer];
                return popupHtml(p.layer, entry.data.columns, p.row, entry.wardNames);
            });
        },

        pointToLayer: function (feature, latlng) {
            const p = feature.properties;
            let colour = LAYER_COLOURS[p.layer] || "#334155";
            if (p.layer === "security" || p.layer === "traffic") { colour = STATUS_COLOURS[p.status] || colour; }
            if (p.layer === "wifi") { colour = p.kind === "free_wifi" ? LAYER_COLOURS.free_wifi : LAYER_COLOURS.wifi; }
            if (p.layer === "key_locations") { colour = p.covered ? "#16a34a" : "#dc2626"; }
            if (CLUSTERED.indexOf(p.layer) >= 0) {
                /* A DOM marker (not canvas), so what is drawn can be counted and inspected. */
                return L.marker(latlng, {icon: L.divIcon({className: "point-marker", iconSize: L.point(12, 12),
                                                          html: "<span style='background:" + colour + "'></span>"}),
                                         title: p.status || ""});
            }
            const radius = p.layer === "incidents" ? 8 : (p.layer === "key_locations" ? 6 : 5);
            return L.circleMarker(latlng, {radius: radius, color: "#ffffff", weight: 1, fillColor: colour,
                                           fillOpacity: 0.9, renderer: canvas()});
        },

        clusterToLayer: function (feature, latlng, index) {
            const count = feature.properties.point_count;
            const leaves = index.getLeaves(feature.properties.cluster_id, Infinity);
            let down = 0;
            for (let i = 0; i < leaves.length; i++) {
                const s = leaves[i].properties.status;
                if (s === "offline" || s === "maintenance") { down++; }
            }
            const share = leaves.length ? down / leaves.length : 0;
            const level = share >= 0.1 ? "bad" : (share >= 0.04 ? "warn" : "ok");
            const size = count < 100 ? 34 : (count < 1000 ? 42 : 50);
            const label = count >= 1000 ? (count / 1000).toFixed(1).replace(".", ",") + "k" : String(count);
            const icon = L.divIcon({
                html: "<div class='cluster-ring' style='--down:" + Math.round(share * 100) + "%'><span>" +
                      label + "</span></div>",
                className: "marker-cluster cluster-" + level, iconSize: L.point(size, size),
            });
            const marker = L.marker(latlng, {icon: icon, title: count + " · " + Math.round(share * 100) + "% offline",
                                             alt: String(count)});
            marker.options.pointCount = count;
            return marker;
        },

        /* Clientside callback: (re)build every point layer from the cached decoded data. */
        updateLayers: function (city, layers, status, owner, provider, apKind, ward, wardNames) {
            const filters = {status: status || [], owner: owner || [], provider: provider || [],
                             ap_kind: apKind || [], ward: ward || null};
            const names = wardNames || {};
            const wanted = POINT_LAYERS.map(function (layer) {
                if (!city || (layers || []).indexOf(layer) < 0) { return Promise.resolve(EMPTY); }
                return load(city, layer).then(function (data) { return features(layer, data, filters, names); });
            });
            return Promise.all(wanted).then(function (collections) {
                const counts = {};
                POINT_LAYERS.forEach(function (layer, i) { counts[layer] = collections[i].features.length; });
                return collections.concat([counts]);
            });
        },

        /* Clientside callback: keep the address bar in step with the view, without reloading. */
        syncUrl: function (layers, metric, status, owner, provider, apKind, ward) {
            const params = new URLSearchParams(window.location.search);
            const set = function (name, value) { if (value) { params.set(name, value); } else { params.delete(name); } };
            set("layers", (layers || []).join(","));
            set("metric", metric);
            set("status", (status || []).join(","));
            set("owner", (owner || []).join(","));
            set("provider", (provider || []).join(","));
            set("ap_kind", (apKind || []).join(","));
            set("ward", ward);
            const query = params.toString().replace(/%2C/g, ",");
            window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
            return window.dash_clientside.no_update;
        },
    };
})());
