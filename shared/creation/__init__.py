"""Creating a conference for an event, exactly once."""
