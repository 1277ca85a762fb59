"""The embedded assessment provider: a vendor sandbox (tests, invitations, a candidate page, signed webhooks).

Its API is docs/assessments-sandbox-api.md; `hireflow sandbox assessments` runs it on 127.0.0.1:8710.
"""
