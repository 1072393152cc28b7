/* What a page leaves for later, written without holding up the change that moved it: the address
   bar (its period, the map's layers and ward, the language) and the choices remembered in cookies
   (the city, the language). Both wait on the browser's own process: history.replaceState took 0.1
   to 15 ms a call on the 2-core machine, and a cookie written made Dash's next read of the cookies
   (for the request the change sends) take 0.5 to 16 ms, inside the callbacks of an interaction
   before its request left or its figures were drawn. The pages' scripts queue them here; they are
   written together once the page is idle (300 ms later at the latest), when a link is followed or
   the page is left; an address edit on the address of that moment, and only while the page that
   asked is still shown. */
window.iocAddress = (function () {
    "use strict";
    const LATEST_MS = 300;
    let edits = [], cookies = [], page = null, waiting = false;

    function later(write) {
        if (window.requestIdleCallback) { window.requestIdleCallback(write, {timeout: LATEST_MS}); }
        else { setTimeout(write, LATEST_MS); }
    }

    function schedule() {
        if (!waiting) {
            waiting = true;
            later(flush);
        }
    }

    /* Writes what is queued now; an address edit not when the page has changed meanwhile (its own
       address stands). */
    function flush() {
        waiting = false;
        cookies.splice(0).forEach(function (cookie) { document.cookie = cookie; });
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

    /* A link followed writes the page's edits first (the history entry left keeps them); a page left
       or reloaded, its cookies (the next page is drawn from them). */
    if (window.addEventListener) {
        window.addEventListener("click", function (event) {
            const target = event.target;
            if (target && target.closest && target.closest("a[href]")) { flush(); }
        }, true);
        window.addEventListener("pagehide", flush);
    }

    return {
        /* Queues `edit(params)`, a change of the address's URLSearchParams, for the page shown now. */
        edit: function (edit) {
            if (page !== window.location.pathname) {
                edits = [];
                page = window.location.pathname;
            }
            edits.push(edit);
            schedule();
        },
        /* Queues a cookie ('name=value; attributes', as document.cookie takes it). */
        remember: function (cookie) {
            cookies.push(cookie);
            schedule();
        },
        flush: flush,
    };
})();
