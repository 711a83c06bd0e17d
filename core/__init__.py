"""Deskhand core: settings, database, domain types, errors, secrets and the LLM gateway."""
