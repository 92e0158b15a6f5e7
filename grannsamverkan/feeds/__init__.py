"""Public documents for police broadcasts: CAP 1.2 alerts, iCalendar events and Atom feeds.

Pure generators: they take a `WarningDocument` and return bytes, with no database and no
Flask request, so the views only load a broadcast, build the document and send the bytes.
"""
