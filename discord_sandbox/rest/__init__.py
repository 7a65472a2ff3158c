"""REST API v10 route handlers, one module per resource family."""
