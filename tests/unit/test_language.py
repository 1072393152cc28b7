"""Every page in the language it was asked for, and only that language.

Each page is rendered through the Flask test client the way the browser gets it: the shell, the
page's layout from Dash's router (`?lang=`), then its callbacks as the browser fires them when
the layout appears (and the ones their outputs trigger, a few rounds deep). Everything a user
reads is collected: text, placeholders, titles, dropdown labels (Dash's English defaults when a
page gives none), table columns and cells, chart titles, axes, legends and labels.

- in English, no word with Vietnamese diacritics may be left, except the proper names the data
  holds (wards, cities, stations, agencies, users), the free text operators wrote (incident
  summaries) and source titles (kept as published);
- in Vietnamese, none of the English UI words Dash or a forgotten label would show.
"""
from __future__ import annotations

import json
import re

import plotly.utils
import pytest

from components import ids
from components.shell import LANGUAGE_SWITCH
from domain.i18n import LANG_COOKIE

PAGES = ("/", "/map", "/operations", "/services", "/digital", "/targets", "/ward/14755", "/public", "/present",
         "/admin", "/admin/import", "/admin/quality", "/admin/calendar", "/wall", "/khong-co-trang-nay", "/alerts")
ROLE = "admin"
VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE)
# Names inside English catalog texts, kept as published: decisions and standards; and a period as
# a Vietnamese file writes it (the import help lists the forms the importer reads).
PUBLISHED_NAMES = ("QĐ-TTg", "QĐ-TCMT", "Quý 3/2022")
ENGLISH_UI = re.compile(r"\b(Search|Select|Select All|Deselect All|selected|Clear search|Clear selection|"
                        r"No options found|Loading…?|Loading\.\.\.|leader|staff|admin|Sign out|Sign in|"
                        r"No Rows To Show|Filter(?=\.\.\.)|Page Size)\b")
# What Dash 4 shows in a dropdown that is given no `labels` (dash/dcc/dash_core_components.js).
DASH_DROPDOWN_LABELS = ("Select All", "Deselect All", "{num_selected} selected", "Search", "Clear search",
                        "Clear selection", "No options found")
# What AG Grid shows in a grid that is given no `localeText` (a few of its English defaults).
AG_GRID_DEFAULTS = ("No Rows To Show", "Filter...", "Page Size:")
ROUNDS = 5


# --- a small renderer: the browser's first calls, through the test client -------------------------

def _key(component_id) -> str:
    return component_id if isinstance(component_id, str) else json.dumps(component_id, sort_keys=True,
                                                                       separators=(",", ":"))


def _wildcard(declared: str) -> bool:
    """A pattern-matching id with ALL or MATCH in it (a dict id without them is one component)."""
    return declared.startswith("{") and any(isinstance(v, list) for v in json.loads(declared).values())


def _as_json(value):
    return json.loads(json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder))


def _components(tree):
    """Every component of a layout tree (a component's JSON, a list of them, or any prop's value)."""
    if isinstance(tree, list):
        for child in tree:
            yield from _components(child)
    elif isinstance(tree, dict) and "props" in tree and "type" in tree:
        yield tree
        for value in tree["props"].values():
            yield from _components(value)


class Page:
    """The components of the shell and one page, by id, with the props the callbacks gave them."""

    def __init__(self, client, lang: str):
        self.client, self.lang = client, lang
        self.components: dict[str, dict] = {}
        self.anonymous: list[dict] = []
        self.called: dict[str, str] = {}

    def add(self, tree) -> None:
        for component in _components(tree):
            props = component["props"]
            if props.get("id") is not None:
                self.components[_key(props["id"])] = component
            else:
                self.anonymous.append(component)

    def remove(self, tree) -> None:
        """Forget the components of a prop's value a callback replaces (children drawn anew)."""
        gone = list(_components(tree))
        for component in gone:
            if component["props"].get("id") is not None:
                self.components.pop(_key(component["props"]["id"]), None)
        anonymous = {id(component) for component in gone}
        self.anonymous = [c for c in self.anonymous if id(c) not in anonymous]

    def matches(self, declared: str) -> list[dict]:
        """Components whose id fits a declared id (a plain id, or a pattern with ALL/MATCH)."""
        if not declared.startswith("{"):
            return [self.components[declared]] if declared in self.components else []
        if not _wildcard(declared):
            key = _key(json.loads(declared))
            return [self.components[key]] if key in self.components else []
        pattern = json.loads(declared)
        found = []
        for component in self.components.values():
            sent = component["props"]["id"]
            if isinstance(sent, dict) and set(sent) == set(pattern) and all(
                    sent[k] == v for k, v in pattern.items() if not isinstance(v, list)):
                found.append(component)
        return found

    def dependency(self, declared: dict):
        items = self.matches(declared["id"])
        if not _wildcard(declared["id"]):
            if not items:
                return None
            sent = json.loads(declared["id"]) if declared["id"].startswith("{") else declared["id"]
            return {"id": sent, "property": declared["property"],
                    "value": items[0]["props"].get(declared["property"])}
        return [{"id": c["props"]["id"], "property": declared["property"],
                 "value": c["props"].get(declared["property"])} for c in items]

    def call(self, entry: dict, initial: bool) -> bool:
        """Run one server callback when all it needs is on the page; True when it ran."""
        from app import app

        declared = app.callback_map[entry["output"]]
        parts = [part for part in entry["output"].strip(".").split("...")]
        outputs = []
        for part in parts:
            component, prop = part.rsplit(".", 1)
            prop = prop.split("@")[0]
            found = self.matches(component)
            if not found:
                return False
            if _wildcard(component):
                outputs.append([{"id": c["props"]["id"], "property": prop} for c in found])
            else:
                outputs.append({"id": json.loads(component) if component.startswith("{") else component,
                                "property": prop})
        inputs = [self.dependency(d) for d in declared["inputs"]]
        state = [self.dependency(d) for d in declared.get("state", [])]
        if any(value is None for value in inputs + state):
            return False
        signature = json.dumps([inputs], sort_keys=True, default=str)
        if self.called.get(entry["output"]) == signature:
            return False
        self.called[entry["output"]] = signature
        body = {"output": entry["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": inputs, "state": state, "changedPropIds": []}
        response = self.client.post("/_dash-update-component", json=_as_json(body))
        assert response.status_code in (200, 204), (entry["output"], response.get_data(as_text=True)[:300])
        if response.status_code == 200:
            for key, props in response.get_json()["response"].items():
                for prop, value in props.items():
                    if isinstance(value, dict) and "__dash_patch_update" in value:
                        continue
                    if key in self.components:
                        self.remove(self.components[key]["props"].get(prop))
                        self.components[key]["props"][prop] = value
                        self.add(value)
        return True

    def settle(self) -> None:
        """The callbacks the browser fires when the page appears, and those their outputs trigger."""
        from app import app

        server_callbacks = [entry for entry in app._callback_list
                            if not entry.get("clientside_function") and entry.get("prevent_initial_call") is not True
                            and "_pages_content" not in entry["output"]]
        for _round in range(ROUNDS):
            if not [entry for entry in server_callbacks if self.call(entry, initial=_round == 0)]:
                return


def routed_page(client, path: str, search: str = "", lang: str | None = None):
    """The page content the router draws for `path` + `search` in `lang` (by default the address's
    `lang=`, as the address callback chooses it, else Vietnamese), as `client` gets it."""
    from urllib.parse import parse_qs

    from app import app
    from tests.callbacks import router_body

    app._setup_server()
    lang = lang or parse_qs(search.lstrip("?")).get("lang", ["vi"])[0]
    response = client.post("/_dash-update-component", json=router_body(path, search, lang))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]["_pages_content"]["children"]


def render(client, path: str, lang: str, query: str = "") -> Page:
    page = Page(client, lang)
    client.set_cookie(LANG_COOKIE, lang)  # the language this browser chose last
    shell = client.get("/_dash-layout")
    assert shell.status_code == 200
    page.add(shell.get_json())
    search = f"?lang={lang}" + (f"&{query}" if query else "")
    content = routed_page(client, path, search)
    page.components["shell-url"]["props"].update(pathname=path, search=search)
    page.components["shell-lang-select"]["props"]["value"] = lang
    page.add(content)
    page.settle()
    return page


def switch_language(page: Page, path: str, lang: str) -> bool:
    """The language switch on a drawn page, as the browser makes it: Dash's router asked with the
    language alone changed, and every server callback on the language run with the new value, their
    outputs applied. True when the router kept the page (it translates itself in place)."""
    from tests.callbacks import router_body

    search = page.components["shell-url"]["props"]["search"]
    response = page.client.post("/_dash-update-component", json=router_body(path, search, lang, LANGUAGE_SWITCH))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    redrawn = response.get_json()["response"].get("_pages_content")
    page.lang = lang
    page.components["shell-lang-select"]["props"]["value"] = lang
    if redrawn is not None:
        page.add(redrawn["children"])
    from app import app

    on_language = [entry for entry in app._callback_list if not entry.get("clientside_function")
                   and "_pages_content" not in entry["output"]
                   and any(i["id"] == ids.LANG_SELECT for i in app.callback_map[entry["output"]]["inputs"])]
    for entry in on_language:
        page.call(entry, initial=False)
    # the navigation's links follow its source in the browser (components/shell.CARRY_PERIOD_JS)
    page.components[ids.NAV]["props"]["links"] = page.components[ids.NAV_SOURCE]["props"]["data"]
    page.settle()
    return redrawn is None


# --- what a user reads ----------------------------------------------------------------------------

FIGURE_TEXT_KEYS = {"text", "name", "ticktext", "hovertext", "y", "x"}
TEXT_PROPS = ("children", "placeholder", "title", "label", "alt", "aria-label")


def _strings(node, keys: set[str] | None = None, key: str | None = None):
    """The strings of a JSON tree (only those under `keys` when given; a figure's template skipped)."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name != "template":
                yield from _strings(value, keys, name)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, keys, key)
    elif isinstance(node, str) and (keys is None or key in keys):
        yield node


def texts(page: Page) -> list[str]:
    found = []
    for component in [*page.components.values(), *page.anonymous]:
        props, kind = component["props"], component["type"]
        for prop in TEXT_PROPS:
            value = props.get(prop)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                found.append(str(value))
            elif isinstance(value, list):
                found += [str(v) for v in value if isinstance(v, (str, int, float))]
        if kind in ("Dropdown", "Checklist", "RadioItems"):
            found += [str(o.get("label")) if isinstance(o, dict) else str(o) for o in props.get("options") or []
                      if not isinstance(o, dict) or isinstance(o.get("label"), (str, int, float))]
        if kind == "Dropdown":
            labels = props.get("labels")
            found += list(labels.values()) if isinstance(labels, dict) else list(DASH_DROPDOWN_LABELS)
        if kind == "Graph" and isinstance(props.get("figure"), dict):
            found += list(_strings(props["figure"], FIGURE_TEXT_KEYS))
        if kind == "AgGrid":
            found += [str(c.get("headerName")) for c in props.get("columnDefs") or []]
            found += list(_strings(props.get("rowData")))
            locale = (props.get("dashGridOptions") or {}).get("localeText")
            found += list(locale.values()) if isinstance(locale, dict) else list(AG_GRID_DEFAULTS)
        if kind == "NavLinks" or (kind == "Store" and props.get("id") == ids.NAV_SOURCE):
            # the navigation's labels (assets/nav_links.js); its addresses and period rules are no words
            found += [link["label"] for link in props.get("links" if kind == "NavLinks" else "data") or []]
        elif kind == "Store":
            found += list(_strings(props.get("data")))
        if kind == "PlainTable":  # header and cells are props, laid out by assets/plain_table.js
            found += [str(title) for title in props.get("header") or []]
            found += list(_strings(props.get("rows"), CELL_TEXTS))
        if kind == "EventList":  # its events are props, laid out by assets/ops_events.js
            found += [props["empty"]] if props.get("empty") else []
            found += list(_strings(props.get("items"), EVENT_TEXTS))
        if kind in ("KpiCard", "KpiCards"):  # its texts are props, laid out by assets/kpi_card.js
            cards = props.get("cards") or [] if kind == "KpiCards" else [props]
            found += [props["message"]] if kind == "KpiCards" and props.get("message") else []
            for card in cards:
                found += [card[key] for key in KPI_CARD_TEXTS if card.get(key)]
                found += list(_strings(card.get("change"), {"text"})) + list(_strings(card.get("target"), TARGET_TEXTS))
    return found


KPI_CARD_TEXTS = ("name", "value", "compared", "no_target", "source")
TARGET_TEXTS = {"label", "title", "status_label"}
CELL_TEXTS = {None, "text", "title", "small"}
EVENT_TEXTS = {"time", "label", "detail", "text"}  # None: a cell given as a bare text


@pytest.fixture(scope="module")
def proper_names(demo_urls):
    """Names the data holds, shown as they are in either language: wards, cities, stations,
    key locations, agencies, users; operators' incident summaries; source titles; the audit
    log's records (action codes and details are kept as written)."""
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect
    from tests.conftest import TEST_USERS, use_databases

    use_databases(*demo_urls)
    names = set(TEST_USERS.values()) | set(PUBLISHED_NAMES)
    with connect("ioc") as connection:
        for column in (m.Ward.name, m.City.name_vi, m.City.name_en, m.Sensor.name, m.KeyLocation.name,
                       m.Incident.summary, m.AuditEvent.action, m.AuditEvent.detail, m.AppUser.display_name):
            names |= set(connection.execute(select(column).distinct()).scalars())
    with connect("kpi") as connection:
        for column in (m.EDocument.issuing_unit, m.Target.source, m.Observation.source):
            names |= set(connection.execute(select(column).distinct()).scalars())
    return sorted((name for name in names if name), key=len, reverse=True)


@pytest.fixture
def shown_names(proper_names):
    """The proper names and the names users gave their saved decks, read when the test runs: another
    test in the worker may have saved one since (the deck list shows names as they were written)."""
    from sqlalchemy import select

    from data_access import models as m
    from data_access.db import connect

    with connect("kpi") as connection:
        decks = set(connection.execute(select(m.Deck.name).distinct()).scalars())
    return sorted(set(proper_names) | decks, key=len, reverse=True)


def vietnamese_left(strings: list[str], names: list[str]) -> list[str]:
    """The strings that still hold a Vietnamese word once proper names are taken out."""
    left = []
    for text in strings:
        rest = text
        for name in names:
            if name in rest:
                rest = rest.replace(name, " ")
        if VIETNAMESE.search(rest):
            left.append(text)
    return sorted(set(left))


def english_left(strings: list[str], names: list[str]) -> list[str]:
    left = []
    for text in strings:
        rest = text
        for name in names:
            rest = rest.replace(name, " ")
        if ENGLISH_UI.search(rest):
            left.append(text)
    return sorted(set(left))


@pytest.fixture(scope="module")
def client(demo_urls):
    from app import server
    from tests.conftest import TEST_USERS, login, use_databases

    use_databases(*demo_urls)
    client = server.test_client()
    assert login(client, TEST_USERS[ROLE]).status_code == 303
    return client


@pytest.mark.parametrize("path", PAGES)
def test_a_page_in_english_has_no_vietnamese_ui_text(client, shown_names, path):
    page = render(client, path, "en")
    assert vietnamese_left(texts(page), shown_names) == []


@pytest.mark.parametrize("path", PAGES)
def test_a_page_in_vietnamese_has_no_english_ui_words(client, shown_names, path):
    page = render(client, path, "vi")
    assert english_left(texts(page), shown_names) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_login_page_follows_the_chosen_language(demo_urls, lang):
    """Asked by the address, or remembered in the language cookie the switch writes."""
    from app import server
    from domain.i18n import t

    by_address, by_cookie = server.test_client(), server.test_client()
    by_cookie.set_cookie(LANG_COOKIE, lang)
    for client, address in ((by_address, f"/login?lang={lang}"), (by_cookie, "/login")):
        body = client.get(address).get_data(as_text=True)
        assert f'<html lang="{lang}">' in body and t("shell.login", lang) in body


def _switch(lang: str, search: str, opening: bool = False, before: tuple[str, ...] = ()) -> tuple:
    """components/shell._RELANG in Node.js on /digital + `search`, after switches to the languages
    `before` not yet written: (its answer, the cookie it left, the addresses it put in the history
    once assets/address.js wrote its edits)."""
    from components.shell import _RELANG
    from tests.clientside import run_script, script_of

    program = ("(function (lang, search, before) { const replaced = [];"
               " window.location = {search: search, pathname: '/digital', hash: '', protocol: 'http:'};"
               " window.history = {state: null, replaceState: function (state, title, url) { replaced.push(url); }};"
               f" globalThis.document = {{cookie: ''}}; {script_of('address.js')}"
               f" before.forEach(function (earlier) {{ ({_RELANG})(earlier); }});"
               f" const answer = ({_RELANG})(lang); window.iocAddress.flush();"
               " return [answer, document.cookie, replaced]; })")
    triggered = [] if opening else [{"prop_id": "shell-lang-select.value"}]
    return tuple(run_script(program, lang, search, list(before), triggered=triggered))


def test_the_switch_remembers_the_language_and_keeps_the_address_saying_it():
    from tests.clientside import NO_UPDATE

    answer, cookie, replaced = _switch("en", "?period=2022&lang=vi")
    assert answer == NO_UPDATE  # the router draws the page: the language is its input
    assert cookie.startswith(f"{LANG_COOKIE}=en;") and "max-age=31536000" in cookie
    assert replaced == ["/digital?period=2022&lang=en"]
    assert _switch("en", "?period=2022")[2] == []  # an address without `lang=` is left as it is
    # switched back before the address was written: the address says the language shown
    assert _switch("vi", "?period=2022&lang=vi", before=("en",))[1:] == (f"{LANG_COOKIE}=vi; path=/; max-age="
                                                                           "31536000; SameSite=Lax", [])
    assert _switch("vi", "?lang=en", before=("en",))[2] == ["/digital?lang=vi"]


def test_an_address_s_language_is_left_to_the_address_callback_when_the_page_opens():
    assert _switch("en", "?lang=vi", opening=True) == ({"no_update": True}, "", [])


def test_a_language_switch_keeps_the_map_mounted_and_draws_other_pages_again(client):
    """Issue #21: the map translates itself in place (mounting it again re-indexed every point layer);
    other pages are drawn again by the router; an address changed with the language draws any page."""
    from tests.callbacks import router_body

    def content(path: str, changed: str):
        response = client.post("/_dash-update-component", json=router_body(path, "?lang=en", "en", changed))
        assert response.status_code == 200
        return response.get_json()["response"].get("_pages_content")

    assert content("/map", LANGUAGE_SWITCH) is None
    assert content("/services", LANGUAGE_SWITCH) is not None
    assert content("/map", "_pages_location.pathname") is not None


@pytest.mark.parametrize("start, lang", [("vi", "en"), ("en", "vi")])
def test_the_map_switched_in_place_reads_as_the_map_drawn_in_that_language(client, shown_names, start, lang):
    """Everything the page kept says what the page drawn in the new language says: the controls, the
    ignored-values notice, the ward's side panel, the map's config (legend, counts, popups) and the
    wards' tooltips; and nothing is left in the other language."""
    query = "ward=14755&layers=wards,security,khong-co"
    page = render(client, "/map", start, query)
    assert switch_language(page, "/map", lang)
    drawn = render(client, "/map", lang, query)
    assert sorted(texts(page)) == sorted(texts(drawn))
    left = vietnamese_left if lang == "en" else english_left
    assert left(texts(page), shown_names) == []
    assert page.components[ids.MAP_LANG]["props"]["data"] == lang


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_names_itself_in_the_browser_tab_in_the_language_chosen(client, shown_names, lang):
    """The tab's title, as Dash's router sets it (on a visit, and on a language switch that keeps the
    page) and as the served page's meta titles say it, is the page's own catalog title in the language."""
    import html as html_text

    import dash

    from domain.i18n import LANGS, TEXT
    from tests.callbacks import router_body

    catalog = {text[LANGS.index(lang)] for key, text in TEXT.items() if key.startswith("title.")}
    titles = {}
    for page in dash.page_registry.values():
        path = "/ward/14755" if page.get("path_template") else page["path"]
        for changed in ("_pages_location.pathname", LANGUAGE_SWITCH):
            response = client.post("/_dash-update-component",
                                   json=router_body(path, f"?lang={lang}", lang, changed)).get_json()
            titles.setdefault(path, set()).add(response["response"]["_pages_store"]["data"]["title"])
        served = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        meta = re.findall(r'property="og:title" content="([^"]*)"', served)
        assert meta, path
        titles[path] |= {html_text.unescape(title) for title in meta}
    assert all(len(found) == 1 and found <= catalog for found in titles.values()), titles
    assert len({next(iter(found)) for found in titles.values()}) == len(titles)  # each page its own
    left = vietnamese_left if lang == "en" else english_left
    assert left([next(iter(found)) for found in titles.values()], shown_names) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_menu_names_every_page_from_the_catalog_in_the_language_chosen(client, shown_names, lang):
    """The menu's entries, as the shell draws them for an admin (who sees every page), are the
    pages' `nav.` catalog names in the language chosen, each page its own."""
    import dash
    from flask import g

    from app import server
    from components.shell import nav_links
    from domain.i18n import LANGS, TEXT
    from security.session import Identity

    names = {key: text[LANGS.index(lang)] for key, text in TEXT.items() if key.startswith("nav.")}
    with server.test_request_context("/"):
        g.identity = Identity("t-admin", "admin")
        labels = [link["label"] for link in nav_links(lang, {})]
    assert len(labels) == sum(bool(page.get("nav")) for page in dash.page_registry.values())
    assert labels and set(labels) <= set(names.values()) and len(set(labels)) == len(labels)
    left = vietnamese_left if lang == "en" else english_left
    assert left(labels, shown_names) == []
