/* Data grids (components/grid.py). A number or date cell shows the text the server wrote with the
   app's one formatting rule (the row's `_shown`), while the grid sorts and filters the raw value.
   The quick filter folds diacritics and case on both sides: "dong son" finds "Đông Sơn". */
(function () {
    "use strict";

    function fold(text) {
        return String(text == null ? "" : text).replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
            .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
    }

    function shown(params) {
        const texts = params.data && params.data._shown;
        const field = params.colDef.field;
        if (texts && Object.prototype.hasOwnProperty.call(texts, field)) { return texts[field]; }
        return params.value == null ? "" : String(params.value);
    }

    window.dashAgGridFunctions = window.dashAgGridFunctions || {};
    window.dashAgGridFunctions.gridShown = shown;
    window.dashAgGridFunctions.gridQuickText = function (params) { return fold(shown(params)); };

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.grid = {
        quickFilter: function (text) {
            return new window.dash_clientside.Patch().assign(["quickFilterText"], fold(text)).build();
        },
        // The shape a page sent (components/grid.py grid_update): only what changed goes to the grid.
        applyShape: function (shape, columnDefs, options) {
            const unchanged = window.dash_clientside.no_update;
            if (!shape) { return [unchanged, unchanged]; }
            const sameColumns = JSON.stringify(shape.columnDefs) === JSON.stringify(columnDefs);
            const samePaging = Boolean((options || {}).pagination) === Boolean(shape.pagination);
            return [sameColumns ? unchanged : shape.columnDefs,
                    samePaging ? unchanged : new window.dash_clientside.Patch()
                        .assign(["pagination"], Boolean(shape.pagination)).build()];
        },
    };
})();
