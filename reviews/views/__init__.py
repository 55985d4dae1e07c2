"""Management review pages (see reviews.urls)."""
