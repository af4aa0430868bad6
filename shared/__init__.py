"""Common package of the conferencing bundle: everything below the HTTP edge."""
