"""The Zoom provider (Server-to-Server OAuth, REST API v2)."""
