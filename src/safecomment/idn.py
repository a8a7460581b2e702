"""``Policy(idn_hosts="punycode")``: internationalised hosts in URL attributes shown as punycode.

``<a href="http://pаypal.com/">`` (a Cyrillic ``а``) then reads ``http://xn--pypal-4ve.com/`` in
the page's HTML and in the browser's status bar, where the trick is visible. Hosts are encoded
with the ``idna`` package (IDNA 2008 with UTS #46 mapping, as browsers do); a host it rejects is
left as it is. The link text is not changed.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from .markup import TAG
from .policy import Policy


def ascii_host_url(url: str) -> str:
    """``url`` with its host in IDNA ASCII form (unchanged when ASCII already or not encodable)."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return url
    userinfo, at, host_port = netloc.rpartition("@")
    host, colon, port = host_port.partition(":")
    if not host or host.isascii():
        return url
    import idna  # deferred: ~8 ms to import, and only this policy switch needs it

    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return url
    return url.replace(netloc, f"{userinfo}{at}{ascii_host}{colon}{port}", 1)


class PunycodeHosts:
    """Rewrites the host of each URL attribute (``policy.url_attributes``) in engine output."""

    def __init__(self, policy: Policy) -> None:
        names = "|".join(re.escape(name) for name in sorted(policy.url_attributes))
        self._value: Final = re.compile(rf' ((?:{names})=")([^"]*)"')

    def __call__(self, markup: str) -> str:
        """``markup`` (engine output, values double-quoted) with every IDN host in ASCII."""
        if markup.isascii():
            return markup
        return TAG.sub(self._tag, markup)

    def _tag(self, tag: re.Match[str]) -> str:
        source = tag.group()
        return source if source.isascii() else self._value.sub(self._url, source)

    @staticmethod
    def _url(value: re.Match[str]) -> str:
        # engine output holds hosts as characters (entities decoded), so the escaped value can be
        # rewritten as it is, keeping each engine's own escaping of the rest
        return f' {value.group(1)}{ascii_host_url(value.group(2))}"'
