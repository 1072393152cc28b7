"""Login and logout pages (plain Flask forms with CSRF tokens, vi/en)."""
from __future__ import annotations

import hmac
import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request

import settings
from data_access.db import DatabaseUnavailable
from domain.i18n import LANG_COOKIE, LANGS, normalise_lang
from security import session as auth_session
from security import throttle
from security.accounts import audit, claim_login_attempt, login_name_key, record_successful_login
from security.passwords import verify_password

blueprint = Blueprint("auth", __name__, template_folder="templates")

TEXT = {
    "vi": {"app": "Trung tâm điều hành đô thị thông minh", "title": "Đăng nhập", "username": "Tên đăng nhập",
           "password": "Mật khẩu", "submit": "Đăng nhập", "logout_title": "Đăng xuất",
           "logout_submit": "Đăng xuất", "bad": "Sai tên đăng nhập hoặc mật khẩu.",
           "locked": "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Thử lại sau {minutes} phút.",
           "too_many": "Quá nhiều lần đăng nhập từ địa chỉ này. Thử lại sau ít phút.",
           "csrf": "Phiên biểu mẫu đã hết hạn. Vui lòng thử lại.",
           "expired": "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
           "logged_out": "Bạn đã đăng xuất.", "database": "Không đọc được cơ sở dữ liệu"},
    "en": {"app": "Smart City Operations Centre", "title": "Sign in", "username": "User name",
           "password": "Password", "submit": "Sign in", "logout_title": "Sign out", "logout_submit": "Sign out",
           "bad": "Wrong user name or password.",
           "locked": "This account is locked after too many failed logins. Try again in {minutes} minutes.",
           "too_many": "Too many login attempts from this address. Try again in a few minutes.",
           "csrf": "The form expired. Please try again.",
           "expired": "Your session has expired. Please sign in again.",
           "logged_out": "You are signed out.", "database": "The database cannot be read"},
}
IP_WINDOW_S = 300


def _lang() -> str:
    """The address's or form's `lang`, else the language this browser chose last (the cookie
    the app's language switch writes), else DEFAULT_LANG."""
    for chosen in (request.args.get("lang"), request.form.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in LANGS:
            return chosen
    return normalise_lang(settings.get("DEFAULT_LANG"))


def safe_next(target: str | None) -> str:
    """Only a local path may follow login: no scheme, no host, no '//' (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page(status: int = 200, message: str = "", info: bool = False, username: str = "", logout: bool = False):
    lang = _lang()
    text = dict(TEXT[lang])
    if logout:
        text.update(title=text["logout_title"], submit=text["logout_submit"])
    html = render_template("login.html", lang=lang, text=text, message=message, info=info,
                           csrf=auth_session.csrf_token(), next_path=safe_next(request.values.get("next")),
                           username=username, show_fields=not logout,
                           action="/logout" if logout else "/login")
    return html, status


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _refused(status: int, message: str, username: str, window: throttle.Window, scope: str):
    """A refusal that says when to try again (Retry-After), counted in /metrics by `scope`."""
    g.rate_limit_scope = scope
    html, status = _page(status, message, username=username)
    return html, status, {"Retry-After": str(max(1, math.ceil(window.resets_in)))}


def _csrf_ok() -> bool:
    sent = request.form.get("csrf", "")
    expected = auth_session.csrf_token()
    return bool(sent) and hmac.compare_digest(sent, expected)


@blueprint.get("/login")
def login_form():
    message = TEXT[_lang()]["expired"] if request.args.get("expired") else ""
    return _page(message=message, info=bool(message))


@blueprint.errorhandler(DatabaseUnavailable)
def database_error_page(exc: DatabaseUnavailable):
    """The login form with what went wrong: users cannot be checked without the database."""
    return _page(503, f"{TEXT[_lang()]['database']}: {exc}")


@blueprint.post("/login")
def login_submit():
    """Check a login with the same work and the same answers whoever the name belongs to.

    Attempts are counted before the password is checked, in counters every worker shares
    (`security.throttle`): per address (LOGIN_ATTEMPTS_PER_IP per 5 minutes; a success gives
    its attempt back) and per user name, known or not (LOGIN_MAX_FAILURES, then "locked" for
    LOGIN_LOCKOUT_MINUTES). A real account is also locked in its row by one UPDATE ...
    RETURNING (`claim_login_attempt`). Unknown names, disabled and locked accounts are checked
    against a dummy argon2 hash, so they take as long as a wrong password and get its message."""
    lang = _lang()
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    ip = _client_ip()
    if not _csrf_ok():
        return _page(400, TEXT[lang]["csrf"], username=username)
    address_key = f"login-ip:{ip}"
    by_address = throttle.hit(address_key, IP_WINDOW_S)
    if by_address.hits > settings.get_int("LOGIN_ATTEMPTS_PER_IP"):
        audit(username or "-", "login_rate_limited", "", ip)
        return _refused(429, TEXT[lang]["too_many"], username, by_address, "login-address")
    max_failures = settings.get_int("LOGIN_MAX_FAILURES")
    minutes = settings.get_int("LOGIN_LOCKOUT_MINUTES")
    name_key = login_name_key(username)
    by_name = throttle.hit(name_key, minutes * 60)
    if by_name.hits > max_failures:
        verify_password(None, password)
        audit(username or "-", "login_locked", "", ip)
        return _refused(403, TEXT[lang]["locked"].format(minutes=minutes), username, by_name, "login-user")
    user = claim_login_attempt(username, max_failures, timedelta(minutes=minutes)) if username else None
    if not verify_password(user["password_hash"] if user else None, password):
        if by_name.hits >= max_failures:
            throttle.extend(name_key, minutes * 60)  # locked for the full time from this attempt on
        if user is not None and user["locked_now"]:
            audit(username, "account_locked", f"after {max_failures} failures", ip)
        audit(username or "-", "login_failed", "", ip)
        return _page(401, TEXT[lang]["bad"], username=username)
    record_successful_login(username)
    throttle.refund(address_key)
    throttle.clear(name_key)
    auth_session.log_in(user)
    audit(username, "login", f"role={user['role']}", ip)
    return redirect(safe_next(request.form.get("next")), code=303)


@blueprint.get("/logout")
def logout_form():
    return _page(logout=True)


@blueprint.post("/logout")
def logout_submit():
    identity = auth_session.current_identity()
    if not _csrf_ok():
        return _page(400, TEXT[_lang()]["csrf"], logout=True)
    if not identity.anonymous:
        audit(identity.username, "logout", "", _client_ip())
    auth_session.log_out()
    return redirect("/login?lang=" + _lang(), code=303)
