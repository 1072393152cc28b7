/* Event list of the operations page (components/ops_panels.EventList): one Dash component laid out
   here as <ul> of <li class="event">, newest first, from texts the server made; a refresh prepends
   the new events to `items`. No words here. */
(function () {
    "use strict";
    const e = window.React.createElement;

    function badge(level) {
        return level ? e("span", {className: level.className, style: level.style}, level.text) : null;
    }

    function EventList(props) {
        const items = props.items || [];
        const rows = items.length ? items.map(function (item) {
            return e("li", {key: item.key, className: "event", "data-key": item.key},
                     e("span", {className: "event-time"}, item.time),
                     e("span", {className: "event-kind event-" + item.kind}, item.label),
                     e("span", {className: "event-detail"}, item.detail, badge(item.level)));
        }) : (props.empty ? [e("li", {key: "empty"}, props.empty)] : []);
        return e("ul", {id: props.id, className: props.className, "aria-live": "polite"}, rows);
    }

    window.ioc_components = Object.assign(window.ioc_components || {}, {EventList: EventList});
})();
