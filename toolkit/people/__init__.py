"""People: administrators manage every account; city leads manage their city's editors."""
