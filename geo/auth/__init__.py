"""Who may do what: API keys and signed tokens, roles, and what each role may reach."""
