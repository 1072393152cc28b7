"""The key that signs session cookies: in production it must be long and random.

Checked at start (`serving/configuration.py`, for the app, gunicorn and manage.py) and again
when the app is built (`security/hooks.py`); the message never repeats the key.
"""
from __future__ import annotations

import math
from collections import Counter

import settings

KNOWN_DEFAULT_KEYS = {"", "changeme", "change-me", "secret", "secret-key", "dev", "development", "default",
                      "your-secret-key", "please-change-me", "insecure", "test"}
MIN_KEY_LENGTH = 32
MIN_KEY_BITS = 128


def key_bits(key: str) -> float:
    """A simple estimate of a key's entropy: its length times the Shannon entropy of its
    characters (36 × 'a' → 0 bits; 64 hex characters from `secrets.token_hex(32)` → about 250)."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_character = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_character * len(key)


def secret_key_problem() -> str | None:
    """Why the configured SECRET_KEY may not be used in production (None when it may, or in
    development, where an empty key means a random one kept in var/)."""
    if not settings.is_production():
        return None
    key = settings.get("SECRET_KEY")
    if key.strip().lower() in KNOWN_DEFAULT_KEYS or len(key) < MIN_KEY_LENGTH or key_bits(key) < MIN_KEY_BITS:
        return (f"refusing to start: APP_ENV=production needs a random SECRET_KEY of at least {MIN_KEY_LENGTH} "
                f"characters and {MIN_KEY_BITS} bits (this one has about {key_bits(key):.0f}); make one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`")
    return None
