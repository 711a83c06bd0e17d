"""Retrieval evaluation data: a generated MSP ticket corpus and a hand-labelled similar-ticket set."""
