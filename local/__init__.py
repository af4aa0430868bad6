"""Local stand-ins for the outside services (Calendar v3, Zoom v2, Google's token issuer)
and the Firestore emulator launcher: used by the tests and the local stack, never deployed."""
