"""The join function's pieces (``functions/join_meeting``): guest-aware join links.

``settings`` (the JOIN_* settings), ``cookies`` (signed, expiring cookies), ``oidc``
(Google sign-in: authorization code with PKCE and a nonce), ``admission`` (pure: who
joins with which role, and when the link opens), ``pages`` (the HTML answers) and
``handler`` (the request flow the entry point delegates to). docs/join-links.md.
"""
