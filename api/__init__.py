"""HTTP API, webhooks and the ``deskhand`` CLI: the only place concrete classes are wired together."""
