"""BigBlueButton: an API client (``client``), request signing (``checksum``), safe reading
of its XML answers (``answers``) and meeting ids derived from conference ids
(``meeting_ids``). Not yet a selectable provider."""
