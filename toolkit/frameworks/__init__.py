"""Results by global framework (SDGs, Sendai, New Urban Agenda, Paris): a city's page and
export for its Voluntary Local Review, and the network's view per SDG target."""
