"""Cities: the city page with its assessments and team, and the administrators' list of cities."""
