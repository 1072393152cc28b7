/* Presentation deck (/present): arrow keys, Page Up/Down, Home/End move between slides,
   F toggles full screen. The active slide is the one with class "active"; the server
   renders the first one active, so a new deck always starts at slide 1. */
(function () {
    "use strict";

    function deck() { return document.querySelector(".deck"); }

    function go(target) {
        const container = deck();
        if (!container) { return; }
        const slides = Array.prototype.slice.call(container.querySelectorAll(".slide"));
        if (!slides.length) { return; }
        const current = Math.max(0, slides.findIndex(function (s) { return s.classList.contains("active"); }));
        const next = Math.max(0, Math.min(slides.length - 1, typeof target === "function" ? target(current, slides.length) : target));
        slides.forEach(function (slide, i) { slide.classList.toggle("active", i === next); });
        container.setAttribute("data-index", String(next));
        if (next !== current) { window.dispatchEvent(new Event("resize")); }
    }

    document.addEventListener("keydown", function (event) {
        const container = deck();
        if (!container || event.altKey || event.ctrlKey || event.metaKey) { return; }
        const target = event.target;
        if (target && target !== container && !container.contains(target) &&
            (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) ||
             (target.closest && target.closest(".dash-dropdown, .Select, [role='combobox'], [role='listbox']")))) {
            return;
        }
        const moves = {
            ArrowRight: function (i) { return i + 1; }, PageDown: function (i) { return i + 1; },
            ArrowLeft: function (i) { return i - 1; }, PageUp: function (i) { return i - 1; },
            Home: function () { return 0; }, End: function (i, n) { return n - 1; }
        };
        if (moves[event.key]) { event.preventDefault(); go(moves[event.key]); return; }
        if (event.key === "f" || event.key === "F") {
            event.preventDefault();
            if (document.fullscreenElement) { document.exitFullscreen(); }
            else if (container.requestFullscreen) { container.requestFullscreen(); }
        }
    });
})();
