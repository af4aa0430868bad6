"""The HTTP edge and wire formats: answers, errors, request bodies, push headers."""
