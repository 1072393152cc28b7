/* KPI card (components/kpi_card.KpiCard): one Dash component laid out here from the texts the server
   made, in the same elements and classes a tree of html components had (the CSS, the wall and the
   tests read those). No words here: every text arrives translated. */
(function () {
    "use strict";
    const e = window.React.createElement;

    function delta(change, compared) {
        if (!change) { return e("div", {className: "kpi-delta"}, " "); }
        return e("div", {className: "kpi-delta"}, e("span", {className: change.trend}, change.text),
                 e("span", {className: "muted"}, " " + compared));
    }

    function targetLine(target, noTarget) {
        if (!target) { return e("div", {className: "kpi-target muted"}, noTarget); }
        const progress = String(target.progress);
        const bar = e("div", {className: "progress", role: "progressbar", "aria-valuenow": progress,
                              "aria-valuemin": "0", "aria-valuemax": "100"},
                      e("div", {className: "progress-fill", style: {width: progress + "%"}}));
        const badge = target.status ? e("span", {className: "kpi-status kpi-status-" + target.status,
                                                 "data-status": target.status},
                                        e("span", {"aria-hidden": "true"}, target.icon), target.status_label) : null;
        return e("div", {className: "kpi-target", title: target.title}, e("span", null, target.label), bar, badge);
    }

    function KpiCard(props) {
        return e("div", {id: props.id, className: "kpi-card", title: props.title, "data-code": props.code},
                 e("div", {className: "kpi-name"}, props.name),
                 e("div", {className: props.missing ? "kpi-value kpi-missing" : "kpi-value"}, props.value),
                 delta(props.change, props.compared),
                 targetLine(props.target, props.no_target),
                 e("div", {className: "kpi-source"}, props.source));
    }

    /* A page's cards (components/kpi_card.KpiCards): keyed by code, so another period's cards are the
       same elements with new texts; `message` (no cards: why) in the page's error banner. */
    function KpiCards(props) {
        const message = props.message ? e("div", {className: "banner banner-error", role: "alert"}, props.message)
            : null;
        const cards = (props.cards || []).map(function (card) {
            return e(KpiCard, Object.assign({key: card.code}, card));
        });
        return e("div", {id: props.id, className: props.className}, message, cards);
    }

    window.ioc_components = Object.assign(window.ioc_components || {}, {KpiCard: KpiCard, KpiCards: KpiCards});
})();
