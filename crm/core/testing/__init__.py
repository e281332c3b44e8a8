"""Shared test machinery: factories, the standing users, and contract test cases."""
