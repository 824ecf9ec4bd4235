"""Links in a text: full URLs and bare domains ("evil.example/claim", "sketchycorp.com") alike."""

from __future__ import annotations

import re

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]|\"']+", re.I)
# A bare domain: labels and a top-level domain, not part of an email address or a longer word. It is a
# link when a path follows or its top-level domain is a common one ("guide.pdf" and "e.g." are not links).
DOMAIN_RE = re.compile(
    r"(?<![@\w.-/])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,24}))(/[^\s<>()\[\]|\"']*)?(?![\w@-])", re.I
)
COMMON_TLDS = frozenset(
    {
        "com",
        "org",
        "net",
        "io",
        "co",
        "uk",
        "de",
        "fr",
        "es",
        "eu",
        "info",
        "biz",
        "app",
        "dev",
        "shop",
        "store",
        "online",
        "site",
        "xyz",
        "me",
        "ly",
        "gl",
        "to",
        "us",
        "ca",
        "au",
        "nl",
        "be",
        "ch",
        "at",
        "it",
        "pl",
        "pt",
        "ie",
        "se",
        "no",
        "dk",
        "fi",
        "ru",
        "cn",
        "jp",
        "in",
        "br",
        "mx",
        "ai",
        "tv",
        "cc",
        "ws",
        "link",
        "click",
        "club",
        "top",
        "example",
        "test",
        "invalid",
        "local",
    }
)


def links(text: str) -> list[str]:
    """Every URL and bare domain in the text, as written."""
    found = [m.group() for m in URL_RE.finditer(text)]
    rest = URL_RE.sub(" ", text)
    for m in DOMAIN_RE.finditer(rest):
        tld, path = m.group(2), m.group(3)
        if (path and len(path) > 1) or (tld.lower() in COMMON_TLDS and tld.islower()):
            found.append(m.group())
    return found


def without_links(text: str) -> str:
    """The text with its links blanked out: a link is checked as a link, not read for amounts or dates."""
    for link in links(text):
        text = text.replace(link, " ")
    return text


def url_key(url: str) -> str:
    """A URL as compared: without scheme, 'www.', a trailing full stop or slash; the host lower-cased."""
    url = url.rstrip(".,;:!?)*_>").rstrip("/")
    _scheme, sep, rest = url.partition("://")
    if not sep:
        rest = url
    host, slash, path = rest.partition("/")
    return f"{host.lower().removeprefix('www.')}{slash}{path}"
