"""The protocol-neutral call path: authorize, admit, reserve, route, call, settle, log."""
