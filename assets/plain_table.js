/* Plain table (components/plain_table.PlainTable): one Dash component laid out here as <table>,
   <thead> and <tbody>, from texts the server made; a cell given as an object is a span with its
   class, title and style, and a <small> after its text. No words here. */
(function () {
    "use strict";
    const e = window.React.createElement;

    function content(value) {
        if (value === null || value === undefined) { return ""; }
        if (typeof value !== "object") { return String(value); }
        const small = value.small ? e("small", {className: value.small_class}, value.small) : null;
        return e("span", {className: value.className, title: value.title, style: value.style}, value.text, small);
    }

    function PlainTable(props) {
        const header = props.header || [], rows = props.rows || [];
        return e("table", {id: props.id, className: props.className},
                 e("thead", null, e("tr", null, header.map(function (title, i) { return e("th", {key: i}, title); }))),
                 e("tbody", null, rows.map(function (row, i) {
                     return e("tr", {key: i}, row.map(function (value, j) { return e("td", {key: j}, content(value)); }));
                 })));
    }

    window.ioc_components = Object.assign(window.ioc_components || {}, {PlainTable: PlainTable});
})();
