"""Mail: SMTP sending through an idempotent outbox, jinja2 templates, iMIP invitations, inbound replies.

Entry points: `service.MailService` / `service.MailRequest` (send), `contexts` (one typed context per
template), `ics` (invitations), `reply_address` (signed reply addresses), `inbound` (replies; their
webhooks are `web/inbound_mail.py`), `classify` / `timeparse` (what a reply says). See docs/mail.md.
"""
