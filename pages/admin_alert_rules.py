"""Alert rules (`/admin/alert-rules`, admins only): every rule in a grid, and a form to create one,
edit any of its fields (kind parameters, recipients, vi/en messages, on or off), switch it off or
delete it. The form shows only the parameters of the chosen kind, and each problem
`domain.alerts.validate_rule` finds beside its field.

Writes go through `loaders.alerts` (`save_rule`, `set_rule_enabled`, `delete_rule`): the same checks
and audited apply step as a rule file. Every callback is admin-only (`@access(ADMIN)`, checked by the
request hook before it runs); the admin named in the audit log is the session's, never the browser's.
"""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from components import ids
from components.banners import error_banner
from components.grid import COUNT, TEXT_KIND, GridColumn, data_grid
from components.shell import nav_names, request_lang, tab_title
from data_access.alerts import list_rules
from data_access.db import DatabaseUnavailable
from data_access.places import list_cities
from domain import alerts as rules
from domain.i18n import dropdown_labels, name_of, normalise_lang, t
from domain.incidents import INCIDENT_CATEGORIES, SEVERITIES
from domain.indicators import CATALOG
from loaders.alerts import delete_rule, save_rule, set_rule_enabled
from loaders.apply import ImportRejected
from security.policy import ADMIN, access
from security.session import current_identity

dash.register_page(__name__, path="/admin/alert-rules", **nav_names("admin_alert_rules"), order=14,
                   nav=False, title=tab_title("title.alert_rules"), access=ADMIN)

GENERAL = ("name", "kind", "city", "severity", "enabled")
DELIVERY = ("recipients", "escalate_after_min")
MESSAGES = ("message_vi", "message_en")
PARAMETER_NAMES = {"pm25": "PM2.5", "pm10": "PM10", "ph": "pH", "do": "DO", "cod": "COD"}
GRID_COLUMNS = (("name", TEXT_KIND), ("kind", TEXT_KIND), ("city", TEXT_KIND), ("severity", TEXT_KIND),
                ("params", TEXT_KIND), ("recipients", TEXT_KIND), ("escalate_after_min", COUNT),
                ("enabled", TEXT_KIND))
FIELD_STYLE = {"display": "flex", "flexDirection": "column", "gap": "4px", "minWidth": 0}
FORM_STYLE = {"display": "grid", "gridTemplateColumns": "repeat(auto-fill, minmax(16rem, 1fr))", "gap": "12px",
              "alignItems": "start", "marginTop": "12px"}


def _field_id(column: str) -> dict:
    return {"type": ids.RULE_EDITOR_FIELD, "field": column}


def _options(prefix: str, values, lang: str) -> list[dict]:
    return [{"label": t(f"{prefix}.{value}", lang), "value": value} for value in values]


def _control(column: str, lang: str, cities: list[dict]):
    """The input of one rule column; every one holds text, as a rule file's cell does."""
    dropdowns = {
        "kind": _options("alerts.kind", rules.KINDS, lang),
        "city": [{"label": _city_name(city, lang), "value": city["slug"]} for city in cities],
        "severity": _options("ops.severity", SEVERITIES, lang),
        "parameter": [{"label": label, "value": code} for code, label in PARAMETER_NAMES.items()],
        "direction": _options("alert_rules.direction", ("above", "below"), lang),
        "category": _options("ops.category", INCIDENT_CATEGORIES, lang),
        "indicator": [{"label": name_of(item, lang), "value": item.code} for item in CATALOG],
    }
    if column in dropdowns:
        return dcc.Dropdown(id=_field_id(column), options=dropdowns[column], style={"width": "100%"},
                            labels=dropdown_labels(lang),
                            placeholder=t("alert_rules.any" if column in ("category", "indicator") else
                                          "alert_rules.choose", lang))
    if column == "enabled":
        return dcc.RadioItems(id=_field_id(column), value="yes", inline=True, className="segmented light",
                              options=[{"label": t(f"alert_rules.{v}", lang), "value": v} for v in ("yes", "no")])
    if column in MESSAGES:
        return dcc.Textarea(id=_field_id(column), maxLength=500, className="text-input",
                            style={"width": "100%", "minWidth": 0, "minHeight": "4.5rem"})
    placeholder = t("alert_rules.recipients_help", lang) if column == "recipients" else (
        t("alert_rules.default", lang) if column in rules.PARAM_COLUMNS else "")
    return dcc.Input(id=_field_id(column), type="text", className="text-input", placeholder=placeholder,
                     maxLength=500 if column == "recipients" else 80, style={"width": "100%", "minWidth": 0},
                     debounce=False)


def _city_name(city: dict, lang: str) -> str:
    return city["name_en"] if lang == "en" else city["name_vi"]


def _field(column: str, lang: str, cities: list[dict], wide: bool = False) -> html.Div:
    """A labelled field with its problems under it; a kind's parameter stays hidden until its kind is chosen."""
    style = {**FIELD_STYLE, **({"gridColumn": "1 / -1"} if wide else {}),
             **({"display": "none"} if column in rules.PARAM_COLUMNS else {})}
    return html.Div([
        html.Label(t(f"alert_rules.field.{column}", lang), className="muted"),
        _control(column, lang, cities),
        html.Div(id={"type": ids.RULE_EDITOR_ERROR, "field": column}),
    ], id={"type": ids.RULE_EDITOR_ROW, "field": column}, style=style)


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = request_lang(lang)
    try:
        cities = list_cities()
    except DatabaseUnavailable as exc:
        return error_banner(str(exc))
    fields = ", ".join("{" + name + "}" for name in rules.MESSAGE_FIELDS)
    return html.Div([
        html.H1(t("alert_rules.heading", lang), className="page-title"),
        html.P(t("alert_rules.intro", lang), className="note"),
        dcc.Store(id=ids.RULE_EDITOR_EDITING),
        html.Section([html.H2(t("alert_rules.list", lang), className="section-title"),
                      html.Div(id=ids.RULE_EDITOR_LIST)], className="panel"),
        html.Section([
            html.H2(t("alert_rules.form", lang), className="section-title"),
            html.Div([
                dcc.Dropdown(id=ids.RULE_EDITOR_PICK, placeholder=t("alert_rules.pick", lang),
                             style={"width": "24rem", "maxWidth": "100%"}, labels=dropdown_labels(lang)),
                html.Button(t("alert_rules.new", lang), id=ids.RULE_EDITOR_NEW, className="button secondary",
                            n_clicks=0),
            ], className="period-controls"),
            html.Div([_field(column, lang, cities) for column in GENERAL], style=FORM_STYLE),
            html.H3(t("alert_rules.params", lang), className="section-title", style={"marginTop": "16px"}),
            html.Div([_field(column, lang, cities) for column in rules.PARAM_COLUMNS], style=FORM_STYLE),
            html.Div([_field("recipients", lang, cities, wide=True), _field("escalate_after_min", lang, cities)],
                     style=FORM_STYLE),
            html.Div([_field(column, lang, cities, wide=True) for column in MESSAGES], style=FORM_STYLE),
            html.P(t("alert_rules.messages_help", lang).format(fields=fields), className="muted"),
            html.Div([
                html.Button(t("alert_rules.save", lang), id=ids.RULE_EDITOR_SAVE, className="button", n_clicks=0),
                html.Button(t("alert_rules.disable", lang), id=ids.RULE_EDITOR_DISABLE, className="button secondary",
                            n_clicks=0),
                dcc.ConfirmDialogProvider(
                    html.Button(t("alert_rules.delete", lang), className="button secondary"),
                    id=ids.RULE_EDITOR_DELETE, message=t("alert_rules.delete_confirm", lang)),
            ], className="period-controls", style={"marginTop": "12px"}),
            html.Div(id=ids.RULE_EDITOR_RESULT, role="status"),
        ], className="panel", style={"marginTop": "16px"}),
    ])


@callback(Output({"type": ids.RULE_EDITOR_ROW, "field": ALL}, "style"),
          Input(_field_id("kind"), "value"), State({"type": ids.RULE_EDITOR_ROW, "field": ALL}, "style"))
@access(ADMIN)
def show_kind_params(kind, styles):
    """Only the parameters the chosen kind reads are shown (the others are sent empty)."""
    used = rules.KIND_PARAMS.get(kind, {})
    shown = []
    for spec, style in zip(ctx.outputs_list, styles):
        column = spec["id"]["field"]
        hidden = column in rules.PARAM_COLUMNS and column not in used
        shown.append({**(style or FIELD_STYLE), "display": "none" if hidden else "flex"})
    return shown


def _grid(specs: dict, cities: dict[str, str], lang: str):
    if not specs:
        return html.P(t("alert_rules.none", lang), className="muted")
    rows = [{"name": spec.name, "kind": t(f"alerts.kind.{spec.kind}", lang), "city": cities.get(spec.city, spec.city),
             "severity": t(f"ops.severity.{spec.severity}", lang), "recipients": rules.format_recipients(spec.tiers),
             "params": ", ".join(f"{key}={value}" for key, value in spec.params.items() if value not in ("", None)),
             "escalate_after_min": spec.escalate_after_min,
             "enabled": t("alert_rules.yes" if spec.enabled else "alert_rules.no", lang)} for spec in specs.values()]
    return data_grid(ids.RULE_EDITOR_GRID, rows, [GridColumn(c, t(f"alert_rules.col.{c}", lang), kind,
                                                             wrap=c in ("params", "recipients"))
                                                  for c, kind in GRID_COLUMNS], lang)


def _form_values(outputs, spec: rules.RuleSpec | None) -> list:
    """The form's fields in layout order: the rule's, or a new rule's defaults."""
    row = rules.rule_row(spec) if spec is not None else {"enabled": "yes"}
    return [row.get(out["id"]["field"]) or None for out in outputs]


def _raw_rule(states) -> dict:
    """What the form holds, as a rule file's row: the parameters of other kinds left empty."""
    raw = {state["id"]["field"]: ("" if state.get("value") is None else str(state["value"])) for state in states}
    used = rules.KIND_PARAMS.get(raw.get("kind"), {})
    return {column: ("" if column in rules.PARAM_COLUMNS and column not in used else raw.get(column, ""))
            for column in rules.RULE_COLUMNS}


def _banner(text: str) -> html.Div:
    return html.Div("✔ " + text, className="banner banner-info")


def _problems_by_field(problems: list[str], fields: list[str]) -> tuple[list, list[str]]:
    """Each field's problems beside it; those about no shown field (the whole rule) for the banner."""
    mine: dict[str, list[str]] = {}
    general = []
    for problem in problems:
        column = rules.problem_field(problem)
        (mine.setdefault(column, []) if column in fields else general).append(problem)
    return [html.Div([html.Div(p) for p in mine[f]], className="banner banner-error", role="alert") if f in mine
            else None for f in fields], general


@callback(
    Output(ids.RULE_EDITOR_LIST, "children"), Output(ids.RULE_EDITOR_PICK, "options"),
    Output(ids.RULE_EDITOR_PICK, "value"), Output(ids.RULE_EDITOR_EDITING, "data"),
    Output({"type": ids.RULE_EDITOR_FIELD, "field": ALL}, "value"),
    Output({"type": ids.RULE_EDITOR_ERROR, "field": ALL}, "children"), Output(ids.RULE_EDITOR_RESULT, "children"),
    Input(ids.RULE_EDITOR_PICK, "value"), Input(ids.RULE_EDITOR_NEW, "n_clicks"),
    Input(ids.RULE_EDITOR_SAVE, "n_clicks"), Input(ids.RULE_EDITOR_DISABLE, "n_clicks"),
    Input(ids.RULE_EDITOR_DELETE, "submit_n_clicks"), Input(ids.LANG_SELECT, "value"),
    State(ids.RULE_EDITOR_EDITING, "data"), State({"type": ids.RULE_EDITOR_FIELD, "field": ALL}, "value"),
)
@access(ADMIN)
def edit_rules(picked, _new, _save, _disable, _delete, lang, editing, _values):
    """Load the picked rule into the form, start a new one, save, switch off or delete (as the
    session's admin), then list every rule."""
    lang = normalise_lang(lang)
    trigger = ctx.triggered_id
    fields_out = ctx.outputs_list[4]
    fields = [out["id"]["field"] for out in fields_out]
    keep = [dash.no_update] * len(fields)  # a wildcard output takes one value per field
    values, errors, result = keep, [None] * len(fields), None
    editing = editing if isinstance(editing, int) else None
    actor = current_identity().username
    try:
        specs = list_rules()
        if trigger == ids.RULE_EDITOR_PICK:
            editing = picked if picked in specs else None
            values = _form_values(fields_out, specs.get(editing))
        elif trigger == ids.RULE_EDITOR_NEW:
            editing, values = None, _form_values(fields_out, None)
        elif trigger == ids.RULE_EDITOR_SAVE:
            change = save_rule(_raw_rule(ctx.states_list[1]), actor=actor, rule_id=editing)
            if change.applied:
                editing = change.rule_id
                result = _banner(t(f"alert_rules.{change.action}", lang).format(name=change.name))
            else:
                errors, general = _problems_by_field(change.errors, fields)
                result = error_banner(" ".join([t("alert_rules.fix", lang), *general]))
        elif trigger in (ids.RULE_EDITOR_DISABLE, ids.RULE_EDITOR_DELETE):
            if editing not in specs:
                result = error_banner(t("alert_rules.pick_first", lang))
            elif trigger == ids.RULE_EDITOR_DISABLE:
                change = set_rule_enabled(editing, False, actor=actor)
                result = (_banner(t("alert_rules.disabled", lang).format(name=change.name, n=change.closed_alerts))
                          if change.applied else error_banner("; ".join(change.errors)))
            else:
                change = delete_rule(editing, actor=actor)
                if change.applied:
                    result = _banner(t("alert_rules.deleted", lang).format(name=change.name))
                    editing, values = None, _form_values(fields_out, None)
                elif change.raised:
                    result = error_banner(t("alert_rules.has_alerts", lang).format(name=change.name, n=change.raised))
                else:
                    result = error_banner("; ".join(change.errors))
        specs = list_rules() if trigger in (ids.RULE_EDITOR_SAVE, ids.RULE_EDITOR_DISABLE,
                                            ids.RULE_EDITOR_DELETE) else specs
        if trigger == ids.RULE_EDITOR_DISABLE and editing in specs:
            values = _form_values(fields_out, specs[editing])
        cities = {city["slug"]: _city_name(city, lang) for city in list_cities()}
    except (DatabaseUnavailable, ImportRejected) as exc:
        return (dash.no_update,) * 4 + (keep, errors, error_banner(str(exc)))
    options = [{"label": spec.name, "value": rule_id} for rule_id, spec in specs.items()]
    return _grid(specs, cities, lang), options, editing, editing, values, errors, result
