"""One module per platform: talk to it and return platform-neutral records (ground floor)."""
