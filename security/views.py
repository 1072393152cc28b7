"""Login and logout pages (plain Flask forms with CSRF tokens, vi/en)."""
from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request

import settings
from components.i18n import normalise_lang
from data_access import cache
from data_access.db import DatabaseUnavailable
from data_access.users import audit, get_user, record_failed_login, record_successful_login
from security import session as auth_session
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
    chosen = request.args.get("lang") or request.form.get("lang")
    return normalise_lang(chosen if chosen in ("vi", "en") else settings.get("DEFAULT_LANG"))


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


def _over_ip_limit(ip: str) -> bool:
    """Count this attempt for the address; True when it is over the limit."""
    key = f"login-attempts:{ip}"
    attempts = (cache.backend().get(key) or 0) + 1
    cache.backend().set(key, attempts, timeout=IP_WINDOW_S)
    return attempts > settings.get_int("LOGIN_ATTEMPTS_PER_IP")


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
    lang = _lang()
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    ip = _client_ip()
    if not _csrf_ok():
        return _page(400, TEXT[lang]["csrf"], username=username)
    if _over_ip_limit(ip):
        audit(username or "-", "login_rate_limited", "", ip)
        return _page(429, TEXT[lang]["too_many"], username=username)
    user = get_user(username) if username else None
    minutes = settings.get_int("LOGIN_LOCKOUT_MINUTES")
    if user and user["locked_until"] and user["locked_until"] > datetime.now():
        verify_password(None, password)
        audit(username, "login_locked", "", ip)
        return _page(403, TEXT[lang]["locked"].format(minutes=minutes), username=username)
    if user is None or not user["active"] or not verify_password(user["password_hash"], password):
        if user is not None:
            locked = record_failed_login(username, settings.get_int("LOGIN_MAX_FAILURES"),
                                         timedelta(minutes=minutes))
            if locked:
                audit(username, "account_locked", f"after {settings.get_int('LOGIN_MAX_FAILURES')} failures", ip)
        audit(username or "-", "login_failed", "", ip)
        return _page(401, TEXT[lang]["bad"], username=username)
    record_successful_login(username)
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
