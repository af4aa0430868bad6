"""Google clients: the Calendar API, delegated credentials, ID-token verification."""
