"""The service layer: one request's work, shared by the HTTP API, the CLI and the tests.

``statements`` (the LRS: statements in and out, credentials), ``documents`` (the document resources),
``exports`` (a learner's record handed to an exporter plugin), ``access`` (every role rule), ``principal``
(who is calling). It knows xAPI rules (lrs.xapi), the store (lrs.store) and the plugins (through the hooks);
nothing about HTTP, and no domain package by name.
"""
