"""Tests of push delivery (grannsamverkan.notify)."""
