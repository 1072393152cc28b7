/* The shell's navigation (components/nav_links.NavLinks): a <nav> of <a class="nav-link">, from
   labels and addresses the server made. A plain click goes to the page in the app as dcc.Link does
   (history.pushState, then the event Dash's location listens to); with a modifier key, or another
   button, the browser does what it always does (a new tab, a new window). No words here. */
(function () {
    "use strict";
    const e = window.React.createElement;

    function follow(event) {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
                event.altKey) {
            return;
        }
        event.preventDefault();
        window.history.pushState({}, "", event.currentTarget.getAttribute("href"));
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    }

    /* Dash's own check against script addresses (javascript:...), as dcc.Link applies it. */
    function safe(href) {
        const clean = window.dash_clientside && window.dash_clientside.clean_url;
        return clean ? clean(href) : href;
    }

    function NavLinks(props) {
        return e("nav", {id: props.id, className: props.className}, (props.links || []).map(function (link, i) {
            return e("a", {key: i, className: "nav-link", href: safe(link.href), onClick: follow}, link.label);
        }));
    }

    window.ioc_components = Object.assign(window.ioc_components || {}, {NavLinks: NavLinks});
})();
