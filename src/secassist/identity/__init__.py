"""Who may do and see what: organizations, users, roles, tokens, sessions, the access policy."""
