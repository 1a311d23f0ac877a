"""Credentials never leave the process: masking for URLs with ``user:password@``.

``http://user:KEY@host/v1`` is shown, logged and saved as ``http://***@host/v1``, as the API key
(read from an environment variable, never from an option) already is.
"""

from __future__ import annotations

import re
from typing import Any

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/@\s?#]+)@")


def mask_url(url: str) -> str:
    """``url`` with any ``user[:password]@`` part replaced by ``***@``."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", url)


def mask_secrets(obj: Any) -> Any:
    """``obj`` (str, list, tuple or dict, nested) with every URL's credentials masked."""
    if isinstance(obj, str):
        return mask_url(obj)
    if isinstance(obj, dict):
        return {k: mask_secrets(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(mask_secrets(v) for v in obj)
    return obj
