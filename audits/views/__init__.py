"""Audit pages (see audits.urls)."""
