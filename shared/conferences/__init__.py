"""Conferences as Calendar sees them: ConferenceData, solutions, meeting specs."""
