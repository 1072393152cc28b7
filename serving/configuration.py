"""Settings checked once at start (app, gunicorn, manage.py), so a bad value stops the
process with one clear line per problem instead of failing inside a request later."""
from __future__ import annotations

import settings
from domain.incidents import sla_hours
from security.secret_key import secret_key_problem


class BadConfiguration(SystemExit):
    """Raised at start: the message lists every setting that cannot be used."""


def configuration_problems() -> list[str]:
    """Every unusable setting: the table's own checks, then the rules that read settings."""
    problems = settings.problems()
    broken = {line.split("=", 1)[0] for line in problems}
    if "OPS_SLA_HOURS" not in broken:
        try:
            sla_hours()
        except ValueError as exc:
            problems.append(str(exc))
    if not broken & {"QUERY_TIMEOUT_MS", "WEB_TIMEOUT"} and \
            settings.get_int("QUERY_TIMEOUT_MS") >= settings.get_int("WEB_TIMEOUT") * 1000:
        problems.append(f"QUERY_TIMEOUT_MS ({settings.get('QUERY_TIMEOUT_MS')}) must be below WEB_TIMEOUT "
                        f"({settings.get('WEB_TIMEOUT')} s), or gunicorn kills workers before a slow query is stopped")
    if "APP_ENV" not in broken:
        key_problem = secret_key_problem()  # never prints the key itself
        if key_problem:
            problems.append(key_problem)
    return problems


def check_configuration() -> None:
    """BadConfiguration (exits the process) when any setting cannot be used."""
    problems = configuration_problems()
    if problems:
        raise BadConfiguration("Configuration errors (see `python manage.py settings`):\n  " + "\n  ".join(problems))
