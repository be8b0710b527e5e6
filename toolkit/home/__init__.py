"""The home page of each role and the review queue of network staff."""
