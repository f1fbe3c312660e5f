"""The truth suite: flopsheet against published figures, each with its citation and tolerance."""
