"""Unit tests: in-process, local servers on loopback only, no emulator."""
