"""The shell's callbacks send only what changed (issue #21): each output sent is applied in the
browser on its own, and each new component drawn costs the whole page a round of the renderer's
bookkeeping; the navigation is one component whose links are drawn by assets/nav_links.js."""
from __future__ import annotations

from components import ids
from tests.clientside import FAKE_REACT, run_script
from tests.unit.test_periods_across_pages import _post

SHELL = f"..{ids.NAV_SOURCE}.data..."
EVERY_PART = {ids.NAV_SOURCE, ids.TITLE, ids.CITY_SELECT, ids.FOOTER, ids.BANNER, ids.USER_BOX, ids.MENU_LABEL}


def test_a_city_chosen_sends_the_footer_and_banner_and_a_language_sends_everything(client_as):
    client = client_as("staff")
    shown = {ids.LANG_SELECT: "vi", ids.CITY_SELECT: "thanh-hoa"}
    opening = _post(client, SHELL, shown, [])
    assert set(opening) == EVERY_PART
    city = _post(client, SHELL, shown, [f"{ids.CITY_SELECT}.value"])
    assert set(city) == {ids.FOOTER, ids.BANNER}
    assert city[ids.FOOTER] == opening[ids.FOOTER]
    english = _post(client, SHELL, {**shown, ids.LANG_SELECT: "en"}, [f"{ids.LANG_SELECT}.value"])
    assert set(english) == EVERY_PART
    labels = {lang: [link["label"] for link in sent[ids.NAV_SOURCE]["data"]]
              for lang, sent in (("vi", opening), ("en", english))}
    assert "Public services" in labels["en"] and "Dịch vụ công" in labels["vi"]
    assert english[ids.MENU_LABEL]["children"] != opening[ids.MENU_LABEL]["children"]


# The script as the browser runs it: a fake React whose elements keep their event handlers, a history
# and an event target that note what a click did.
NAVIGATE = """(function (props, clicks) {
    const done = [];
    %(react)s
    window.history = {pushState: function (state, title, href) { done.push(['push', href]); }};
    window.dispatchEvent = function (event) { done.push(['event', event.type]); };
    window.scrollTo = function (x, y) { done.push(['scroll', x, y]); };
    window.dash_clientside.clean_url = function (href) { return /^javascript:/i.test(href) ? 'about:blank' : href; };
    global.CustomEvent = function (type) { this.type = type; };
    %(script)s
    const nav = window.ioc_components.NavLinks(props);
    clicks.forEach(function (click) {
        const link = nav.children[click.link];
        const event = Object.assign({button: 0, defaultPrevented: false, prevented: false,
                                     currentTarget: {getAttribute: function () { return link.props.href; }},
                                     preventDefault: function () { event.prevented = true; }}, click.event);
        link.props.onClick(event);
        done.push(['prevented', event.prevented]);
    });
    return {nav: {type: nav.type, props: {id: nav.props.id, className: nav.props.className}},
            links: nav.children.map(function (a) { return [a.props.className, a.props.href, a.children[0]]; }),
            done: done};
})"""


def _navigate(links: list[dict], clicks: list[dict]) -> dict:
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "assets" / "nav_links.js").read_text(encoding="utf-8")
    program = NAVIGATE % {"react": FAKE_REACT, "script": script}
    return run_script(program, {"id": ids.NAV, "className": "nav", "links": links}, clicks)


def test_the_navigation_draws_its_links_and_a_click_opens_the_page_in_the_app():
    links = [{"label": "Tổng quan", "href": "/"}, {"label": "Dịch vụ công", "href": "/services?period=2022-Q3"}]
    drawn = _navigate(links, [{"link": 1}])
    assert drawn["nav"] == {"type": "nav", "props": {"id": ids.NAV, "className": "nav"}}
    assert drawn["links"] == [["nav-link", "/", "Tổng quan"], ["nav-link", "/services?period=2022-Q3", "Dịch vụ công"]]
    assert drawn["done"] == [["push", "/services?period=2022-Q3"], ["event", "_dashprivate_pushstate"],
                             ["scroll", 0, 0], ["prevented", True]]


def test_a_click_with_a_modifier_or_another_button_is_left_to_the_browser_and_scripts_are_not_linked():
    links = [{"label": "Bản đồ", "href": "/map"}, {"label": "x", "href": "javascript:alert(1)"}]
    drawn = _navigate(links, [{"link": 0, "event": {"ctrlKey": True}}, {"link": 0, "event": {"button": 1}},
                              {"link": 0, "event": {"shiftKey": True}}])
    assert drawn["done"] == [["prevented", False]] * 3
    assert drawn["links"][1][1] == "about:blank"


def test_the_router_rules_answer_outside_a_callback_in_a_fresh_thread():
    """Dash serves a page's HTML (its meta titles) and checks layouts outside any callback, in threads that
    never answered one, where reading Dash's callback context raises LookupError: the title is then in the
    address's or the default language, and no page is kept."""
    import threading

    from components.shell import LANGUAGE_SWITCH, language_switched_in_place, request_lang, tab_title
    from domain.i18n import t
    from tests.callbacks import triggered_by

    seen = []
    thread = threading.Thread(target=lambda: seen.append((language_switched_in_place(), tab_title("title.map")())))
    thread.start()
    thread.join()
    assert seen == [(False, t("title.map", request_lang()))]
    with triggered_by(LANGUAGE_SWITCH):
        assert language_switched_in_place()
    with triggered_by(LANGUAGE_SWITCH, "_pages_location.pathname"):
        assert not language_switched_in_place()
