"""Install and connect flows, one module per platform, each with its own blueprint."""
