"""Fake outside services that tests run the real client code against."""
