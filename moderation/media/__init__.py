"""Media intake for moderation: fetch a URL safely, probe and decode audio with FFmpeg (PyAV)."""
