"""Action plans: what a city does about its recommendations, followed across cycles."""
