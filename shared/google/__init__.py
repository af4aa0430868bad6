"""Google clients: the Calendar API, delegated credentials, ID-token verification."""

from shared.google.httplib2_auth import defer

defer()  # before anything imports httplib2 (calendar_api, googleapiclient)
