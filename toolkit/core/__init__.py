"""What every feature uses: configuration, extensions, logs, health, errors, guards, templating,
downloads, the page cache, the audit trail, access rules and shared form fields."""
