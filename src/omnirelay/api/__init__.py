"""The HTTP edge: parse, call the relay or a service, render in each API family's own shape."""
