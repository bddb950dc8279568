"""Webflow Data API v2 client: transport (pooled session), errors (typed), ratelimit (shared), client (endpoints)."""
