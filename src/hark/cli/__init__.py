"""The ``hark`` command line: parses and validates, then calls one library function."""
