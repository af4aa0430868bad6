"""BigBlueButton: the API client (``client``, ``checksum``, ``answers``), meeting ids
derived from conference ids (``meeting_ids``) and the provider (``provider``):
docs/providers.md#bigbluebutton."""
