"""Encryption at rest for personal data, with a keyed hash for exact search.

Keys come from ``CHUANGYE_FIELD_KEYS`` (comma-separated Fernet keys, newest first; older keys
still decrypt, so keys rotate without downtime) or, when unset, from a file generated in the data
directory. The search hash uses a separate key derived from the newest key material, so equal
values can be found without decrypting every row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _load_keys() -> list[bytes]:
    raw = os.environ.get("CHUANGYE_FIELD_KEYS", "").strip()
    if raw:
        return [k.strip().encode() for k in raw.split(",") if k.strip()]
    path = settings.DATA_DIR / "field_keys"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode() + "\n")
        path.chmod(0o600)
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _load_keys()])


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    # The search key survives rotation: it is bound to the first key ever used (last in list).
    oldest = base64.urlsafe_b64decode(_load_keys()[-1])
    return hmac.new(oldest, b"chuangye-search-hash-v1", hashlib.sha256).digest()


def encrypt(value: str) -> str:
    if value == "":
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if token == "":
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("encrypted value cannot be read with the configured keys") from None


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (for key rotation)."""
    return _fernet().rotate(token.encode()).decode() if token else token


def search_hash(value: str) -> str:
    """Keyed hash for exact-match search (HMAC-SHA256, hex)."""
    return hmac.new(_hash_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    """110105********002X: region and the last four characters only."""
    return number[:6] + "*" * 8 + number[-4:] if len(number) == 18 else "*" * len(number)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def reset_cache() -> None:
    """Forget loaded keys (tests that change the key configuration call this)."""
    _fernet.cache_clear()
    _hash_key.cache_clear()
