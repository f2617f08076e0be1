"""The layers of ``acarray.nn``, one family per module."""
