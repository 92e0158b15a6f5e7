"""Tests for grannsamverkan.geo."""
