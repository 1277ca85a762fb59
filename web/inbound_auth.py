"""Did the provider authenticate the sender's domain? SPF/DKIM verdicts from SendGrid and Mailgun posts.

Why: a reply acts for the candidate only when its From address can be believed. Anyone can type any
From; the receiving provider checked SPF (the connecting server may send for the MAIL FROM domain)
and DKIM (a signature by the signing domain) and posts the results. A pass counts only when the
authenticated domain is the From address's domain (or a parent of it, DMARC's relaxed alignment).
The callers combine this with whether the post itself was authenticated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.utils import parseaddr

_SENDGRID_DKIM_ENTRY = re.compile(r"\s*@([a-z0-9.-]+)\s*:\s*([a-z]+)\s*", re.IGNORECASE)
MAX_VERDICT_CHARS = 4000  # the fields are short; a cap keeps the regexes linear on hostile input
# Second-level labels under which registries sell names (co.uk, com.au...): never an organisation.
_REGISTRY_LABELS = frozenset("co com org net ac gov edu ne or go gob nic ltd plc sch mil".split())


def address_domain(address: str) -> str:
    """The lower-cased domain of an address (`Jane <jane@Example.com>` -> `example.com`), or ''."""
    _, addr = parseaddr(address)
    local, at, domain = (addr or address).strip().strip("<>").rpartition("@")
    return domain.strip().rstrip(".").lower() if at and local else ""


def aligned(from_domain: str, authenticated_domain: str) -> bool:
    """The authenticated domain is the From domain, or a parent of it that is an organisation's domain
    (not a top-level domain nor a registry's `co.uk`-style suffix)."""
    auth = authenticated_domain.strip().rstrip(".").lower()
    if not (from_domain and auth):
        return False
    if from_domain == auth:
        return True
    return from_domain.endswith("." + auth) and not _public_suffix_like(auth)


def _public_suffix_like(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2:
        return True
    return len(labels) == 2 and len(labels[1]) == 2 and labels[0] in _REGISTRY_LABELS


def _passed(verdict: str) -> bool:
    return verdict.strip().lower().split(" ", 1)[0].rstrip(";") == "pass"


def sendgrid_sender_authenticated(sender: str, *, spf: str, dkim: str, envelope_from: str) -> bool:
    """SendGrid's `dkim` (`{@example.com : pass}`) passes for the From domain, or its `SPF` passes for
    an envelope sender aligned with the From domain."""
    from_domain = address_domain(sender)
    if not from_domain:
        return False
    for domain, verdict in _sendgrid_dkim_entries(dkim):
        if _passed(verdict) and aligned(from_domain, domain):
            return True
    return _passed(spf) and aligned(from_domain, address_domain(envelope_from))


def _sendgrid_dkim_entries(field: str) -> list[tuple[str, str]]:
    """`{@a.com : pass, @b.com : fail}` as entries; anything not exactly in that form counts for nothing."""
    text = field.strip()
    if not text or len(text) > MAX_VERDICT_CHARS or not (text.startswith("{") and text.endswith("}")):
        return []
    entries = []
    for part in text[1:-1].split(","):
        match = _SENDGRID_DKIM_ENTRY.fullmatch(part)
        if match is None:
            return []
        entries.append((match.group(1), match.group(2)))
    return entries


def mailgun_sender_authenticated(
    sender: str, *, headers: Sequence[tuple[str, str]], spf: str, dkim: str, envelope_from: str
) -> bool:
    """Mailgun's `X-Mailgun-Dkim-Check-Result: Pass` when every DKIM-Signature names one `d=`, aligned
    with the From domain; or `X-Mailgun-Spf: Pass` for an envelope sender (`sender`) aligned with it.

    Mailgun's DKIM verdict is one for the whole message and does not say which signature passed: with
    one aligned signature beside an unaligned one, the pass may be the other's. Such mail does not act
    for anyone (it reaches the recruiter as information)."""
    from_domain = address_domain(sender)
    if not from_domain:
        return False
    if _passed(dkim):
        domains = [_signing_domain(v) for n, v in headers if n.lower() == "dkim-signature"]
        if domains and all(d is not None and aligned(from_domain, d) for d in domains):
            return True
    return _passed(spf) and aligned(from_domain, address_domain(envelope_from))


def _signing_domain(signature: str) -> str | None:
    """The one `d=` tag of a DKIM-Signature; None when it has none, several, or is too long to be real."""
    if len(signature) > MAX_VERDICT_CHARS:
        return None
    tags = [tag.split("=", 1) for tag in signature.split(";") if "=" in tag]
    domains = [value.strip() for name, value in tags if name.strip().lower() == "d"]
    return domains[0] if len(domains) == 1 and domains[0] else None
