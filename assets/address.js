/* The address bar follows what a page shows (its period, the map's layers and ward, the language)
   without holding up the change that moved it. history.replaceState waits on the browser's own
   process: 0.1 to 15 ms a call on the 2-core machine, spent inside the callbacks of an interaction
   before its request left or its figures were drawn. The pages' scripts queue their edits here;
   they are written together once the page is idle (300 ms later at the latest) or a link is
   followed, on the address of that moment, and only while the page that asked is still shown. */
window.iocAddress = (function () {
    "use strict";
    const LATEST_MS = 300;
    let edits = [], page = null, waiting = false;

    function later(write) {
        if (window.requestIdleCallback) { window.requestIdleCallback(write, {timeout: LATEST_MS}); }
        else { setTimeout(write, LATEST_MS); }
    }

    /* Writes the queued edits now; nothing when the page has changed meanwhile (its own address stands). */
    function flush() {
        waiting = false;
        const queued = edits;
        edits = [];
        const location = window.location;
        if (!queued.length || location.pathname !== page) { return; }
        const params = new URLSearchParams(location.search);
        queued.forEach(function (edit) { edit(params); });
        const query = params.toString().replace(/%2C/g, ",");
        const next = location.pathname + (query ? "?" + query : "") + (location.hash || "");
        if (next !== location.pathname + location.search + (location.hash || "")) {
            window.history.replaceState(window.history.state, "", next);
        }
    }

    /* A link followed writes the page's edits first: the history entry left keeps them. */
    if (window.addEventListener) {
        window.addEventListener("click", function (event) {
            const target = event.target;
            if (target && target.closest && target.closest("a[href]")) { flush(); }
        }, true);
    }

    return {
        /* Queues `edit(params)`, a change of the address's URLSearchParams, for the page shown now. */
        edit: function (edit) {
            if (page !== window.location.pathname) {
                edits = [];
                page = window.location.pathname;
            }
            edits.push(edit);
            if (!waiting) {
                waiting = true;
                later(flush);
            }
        },
        flush: flush,
    };
})();
