"""A stand-in for the phone app and its push provider, for tests and the demo."""
