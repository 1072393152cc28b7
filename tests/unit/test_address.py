"""assets/address.js in Node.js: the pages' address edits and remembered cookies wait for the page to
be idle (or a link followed, or the page left); address edits are written together on the address of
that moment, and dropped when the page has changed meanwhile."""
from __future__ import annotations

from tests.clientside import run_script, script_of

# A browser page at `start` (path and query); `steps` run in order on window.iocAddress, then the
# addresses replaceState was given are returned.
PROGRAM = """(function (start, steps) {
    const replaced = [];
    const url = new URL(start, 'http://city.example');
    window.location = {pathname: url.pathname, search: url.search, hash: ''};
    window.history = {state: {kept: true}, replaceState: function (state, title, next) {
        replaced.push([next, state]);
        const moved = new URL(next, 'http://city.example');
        window.location.pathname = moved.pathname; window.location.search = moved.search;
    }};
    window.requestIdleCallback = function () {};  // the page never idles: only flush() writes
    const listeners = {};
    window.addEventListener = function (type, listener) { listeners[type] = listener; };
    globalThis.document = {cookie: ''};
    %s
    const edits = {
        period: function (params) { params.set('period', '2026-Q3'); },
        layers: function (params) { params.set('layers', 'wards,security'); },
        same: function (params) { params.set('city', 'thanh-hoa'); },
    };
    steps.forEach(function (step) {
        if (step === 'flush') { window.iocAddress.flush(); }
        else if (step.indexOf('go ') === 0) { window.location.pathname = step.slice(3); window.location.search = ''; }
        else if (step === 'written?') { replaced.push(['so far', replaced.length, document.cookie]); }
        else if (step === 'remember') { window.iocAddress.remember('ioc_city=chi-linh; path=/'); }
        else if (step === 'pagehide') { listeners.pagehide(); }
        else if (step === 'follow a link') {
            listeners.click({target: {closest: function (selector) { return selector === 'a[href]' ? {} : null; }}});
        }
        else { window.iocAddress.edit(edits[step]); }
    });
    return replaced.concat([['cookie', document.cookie]]);
})"""


def address_after(start: str, *steps: str) -> list:
    """The addresses written (and `so far` marks), without the cookie left."""
    return run_script(PROGRAM % script_of("address.js"), start, list(steps))[:-1]


def cookie_after(*steps: str) -> str:
    return run_script(PROGRAM % script_of("address.js"), "/map", list(steps))[-1][1]


def test_edits_wait_then_are_written_together_on_the_address_of_that_moment():
    replaced = address_after("/map?city=thanh-hoa", "period", "written?", "layers", "flush")
    assert replaced[0] == ["so far", 0, ""]  # nothing written while the interaction runs
    assert replaced[1:] == [["/map?city=thanh-hoa&period=2026-Q3&layers=wards,security", {"kept": True}]]


def test_an_edit_for_a_page_left_is_dropped_and_an_unchanged_address_not_written_again():
    assert address_after("/services", "period", "go /digital", "flush") == []
    assert address_after("/map?city=thanh-hoa", "same", "flush") == []
    assert address_after("/services", "period", "go /digital", "layers", "flush") == [
        ["/digital?layers=wards,security", {"kept": True}]]


def test_a_remembered_cookie_waits_like_the_address_and_is_written_before_a_link_or_leaving():
    assert cookie_after("remember") == ""  # not while the interaction runs (Dash then reads the cookies)
    assert cookie_after("remember", "flush") == "ioc_city=chi-linh; path=/"
    assert cookie_after("remember", "follow a link") == "ioc_city=chi-linh; path=/"
    assert cookie_after("remember", "pagehide") == "ioc_city=chi-linh; path=/"
    assert address_after("/map", "layers", "follow a link") == [["/map?layers=wards,security", {"kept": True}]]
