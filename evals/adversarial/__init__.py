"""The adversarial ticket corpus, an "obedient" scripted model that does what each ticket asks, and the
sandbox observations that tell whether Deskhand let any of it through."""
