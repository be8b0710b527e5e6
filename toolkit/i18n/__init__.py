"""The toolkit's languages: the interface catalogues, the person's and the city's language, and
the commands that extract, update and compile the catalogues."""
