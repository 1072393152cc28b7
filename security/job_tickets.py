"""Tickets for background jobs. A job (a PDF export, say) runs in another process, after the
request that asked for it has been answered: it has no session to read. The request, checked by
the policy like any other, hands the job a ticket saying who asked for what, signed with the
app's key and short-lived, so the job can trust it and audit under that user's name."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "ioc-background-job"
LIFETIME_S = 120  # a ticket starts its job at once; an old one is refused


def issue(spec: dict) -> str:
    """The signed ticket for `spec` (plain JSON values); inside a request."""
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT).dumps(spec)


def redeem(ticket, key: str, max_age: int = LIFETIME_S) -> dict | None:
    """The spec the ticket carries, or None when it is not one of ours, was altered or is too old."""
    if not isinstance(ticket, str) or not ticket:
        return None
    try:
        spec = URLSafeTimedSerializer(key, salt=SALT).loads(ticket, max_age=max_age)
    except BadSignature:
        return None
    return spec if isinstance(spec, dict) else None
