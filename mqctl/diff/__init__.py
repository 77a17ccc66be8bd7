"""Pure comparison of desired and live state into typed changes; one module per resource kind."""
