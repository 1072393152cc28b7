/* Display modes in the browser: the wall (clock, playlist rotation, space to pause,
   self-refresh, lost-server banner, fit-to-screen) and the clock of the public kiosk.
   The server decides what the playlist is (components/wall_bar.py); this only plays it. */
window.iocDisplay = (function () {
    "use strict";
    const DESIGN_WIDTH = 1920;  // wall layouts are drawn for 1080p and scaled up on larger screens
    const KIOSK_RELOAD_MS = 15 * 60 * 1000;
    let state = {wall: false};
    let paused = false;
    let arrivedAt = Date.now();
    let lastPath = window.location.pathname;
    let loadedAt = Date.now();
    let fitQueued = false;

    function pad(n) { return String(n).padStart(2, "0"); }

    /* City time = UTC + the city's offset handed by the server (data-utc-offset, minutes):
       never the browser's own zone, which a wall PC or a visitor's laptop may have wrong. */
    function tickClock() {
        document.querySelectorAll(".wall-clock, .kiosk-clock").forEach(function (el) {
            const offset = parseInt(el.dataset.utcOffset || "0", 10);
            const city = new Date(Date.now() + offset * 60000);
            const text = pad(city.getUTCHours()) + ":" + pad(city.getUTCMinutes()) + ":" + pad(city.getUTCSeconds());
            if (el.textContent !== text) { el.textContent = text; }
        });
    }

    function navigate(path) {
        const params = new URLSearchParams();
        params.set("mode", "wall");
        Object.keys(state.query || {}).forEach(function (key) { params.set(key, state.query[key]); });
        window.history.pushState({}, "", path + "?" + params.toString());
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        arrivedAt = Date.now();
    }

    function showStatus() {
        const paths = state.paths || [];
        const index = paths.indexOf(window.location.pathname);
        document.documentElement.toggleAttribute("data-paused", paused);
        document.querySelectorAll(".wall-status").forEach(function (el) {
            el.textContent = paused ? "⏸ " + state.text.paused : "▶ " + state.text.playing;
        });
        document.querySelectorAll(".wall-position").forEach(function (el) {
            el.textContent = index >= 0 ? (index + 1) + "/" + paths.length : "";
        });
    }

    function tick() {
        tickClock();
        if (document.querySelector(".kiosk") && Date.now() - loadedAt >= KIOSK_RELOAD_MS) {
            window.location.reload();  // a lobby screen runs for days: fresh figures every quarter hour
            return;
        }
        if (!state.wall) { return; }
        if (window.location.pathname !== lastPath) { lastPath = window.location.pathname; arrivedAt = Date.now(); }
        const paths = state.paths || [];
        const elapsed = Date.now() - arrivedAt;
        if (paths.length && !paused) {
            const index = paths.indexOf(window.location.pathname);
            if (index < 0 && elapsed >= 1500) { navigate(paths[0]); }
            else if (index >= 0 && elapsed >= state.every * 1000) { navigate(paths[(index + 1) % paths.length]); }
        } else if (!paths.length && state.refresh && Date.now() - loadedAt >= state.refresh * 1000) {
            window.location.reload();
        }
        showStatus();
    }

    function onKey(event) {
        if (!state.wall || !(event.code === "Space" || event.key === " ")) { return; }
        const target = event.target;
        if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) { return; }
        event.preventDefault();
        paused = !paused;
        arrivedAt = Date.now();
        showStatus();
    }

    function fit() {
        fitQueued = false;
        const main = document.querySelector("main.page");
        const content = document.getElementById("_pages_content");
        if (!main || !content) { return; }
        if (!state.wall) { content.style.zoom = ""; return; }
        const style = window.getComputedStyle(main);
        const availH = main.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        const availW = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        function fits(zoom) {
            content.style.zoom = zoom;
            const rect = content.getBoundingClientRect();
            return rect.height <= availH + 0.5 && rect.width <= availW + 0.5 && content.scrollWidth <= content.clientWidth + 1;
        }
        // The largest zoom up to the design scale at which the page fits (halving search, ~1% steps).
        let high = Math.max(1, window.innerWidth / DESIGN_WIDTH);
        let low = 0.25;
        if (fits(high)) { low = high; }
        else {
            for (let i = 0; i < 8; i++) {
                const middle = (low + high) / 2;
                if (fits(middle)) { low = middle; } else { high = middle; }
            }
        }
        content.style.zoom = low;
        const before = parseFloat(content.dataset.zoom || "0");
        content.dataset.zoom = low.toFixed(3);
        if (Math.abs(before - low) > 0.005) {
            // Leaflet maps and Plotly graphs measure themselves again on a resize event.
            window.setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 50);
        }
    }

    function queueFit() {
        if (fitQueued || !state.wall) { return; }
        fitQueued = true;
        window.setTimeout(function () { window.requestAnimationFrame(fit); }, 150);
    }

    function setWall(next) {
        const was = state.wall;
        state = next && next.wall ? next : {wall: false};
        document.documentElement.toggleAttribute("data-wall", !!state.wall);
        if (state.wall) {
            document.documentElement.setAttribute("data-mode", "wall");
            if (!was) { arrivedAt = Date.now(); }
            showStatus();
            queueFit();
            return "dark";
        }
        document.documentElement.removeAttribute("data-mode");
        fit();
        return window.dash_clientside.no_update;
    }

    /* What the page shown is, as attributes of <html> for the style sheets (assets/wall.css): the
       kiosk (data-kiosk), a page with its own staleness banner (data-page-stale). Set here, before
       the next paint, because a `.app:has(.kiosk)` rule restyled the whole app on every DOM change. */
    function markPage(content) {
        const root = document.documentElement;
        root.toggleAttribute("data-kiosk", !!content.querySelector(".kiosk"));
        root.toggleAttribute("data-page-stale", !!content.querySelector(".stale-banner"));
    }

    function watch() {
        const content = document.getElementById("_pages_content");
        if (!content) { window.setTimeout(watch, 50); return; }
        markPage(content);
        new MutationObserver(function () { markPage(content); queueFit(); })
            .observe(content, {childList: true, subtree: true});
        window.addEventListener("resize", queueFit);
    }

    const originalFetch = window.fetch.bind(window);
    window.fetch = function (resource, init) {
        return originalFetch(resource, init).then(function (response) {
            document.documentElement.removeAttribute("data-offline");
            return response;
        }, function (error) {
            document.documentElement.setAttribute("data-offline", "");
            throw error;
        });
    };

    /* A page holding a map can be replaced while Leaflet is still animating (a wall playlist
       moving on, a flyTo, a zoom): the animation's next frame then reads the removed map's
       panes ("Cannot read properties of undefined (reading '_leaflet_pos')"). Once Leaflet is
       loaded, its map learns to stop quietly when it has been removed, and on a wall it does
       not animate zoom and fade at all (nobody watches the transition from across the room). */
    function guardLeaflet() {
        if (!window.L || !window.L.Map) { return false; }
        const proto = window.L.Map.prototype;
        if (proto.__iocGuarded) { return true; }
        ["_onZoomTransitionEnd", "_move", "_resetView", "_animateZoom"].forEach(function (name) {
            const original = proto[name];
            if (typeof original !== "function") { return; }
            proto[name] = function () {
                if (!this._mapPane) { return this; }  /* removed: nothing left to move */
                return original.apply(this, arguments);
            };
        });
        const originalGetPos = proto._getMapPanePos;
        proto._getMapPanePos = function () {
            return this._mapPane ? originalGetPos.call(this) : window.L.point(0, 0);
        };
        if (isWallAddress()) {
            window.L.Map.mergeOptions({zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false});
        }
        proto.__iocGuarded = true;
        return true;
    }

    function isWallAddress() {
        return /(^|[?&])mode=wall(&|$)/.test(window.location.search) || window.location.pathname.replace(/\/$/, "") === "/wall";
    }

    (function waitForLeaflet(tries) {
        if (!guardLeaflet() && tries > 0) { window.setTimeout(function () { waitForLeaflet(tries - 1); }, 50); }
    })(1200);

    window.setInterval(tick, 500);
    document.addEventListener("keydown", onKey);
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", watch); } else { watch(); }

    return {setWall: setWall, fit: fit, isPaused: function () { return paused; }};
})();
