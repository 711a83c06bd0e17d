"""PSA and directory connectors behind the protocols in ``connectors.base``."""
