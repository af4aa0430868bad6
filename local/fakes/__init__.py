"""Faithful local servers of the services the product talks to."""
