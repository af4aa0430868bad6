"""The Apps Script conferencing add-on: Calendar's way into the create_conference function.

``addon.generate`` writes the add-on project (``appsscript.json``, ``Code.gs``, ``Config.gs``)
for one provider; ``addon/src`` holds the shim template, ``addon/test`` its Node tests.
"""
