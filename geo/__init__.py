"""Haikou grid management: the domain and its spatial core (no web code here)."""
