"""The declarative task relay: long-tail "submit, then poll" vendors (digital humans, slide decks...)
served from configuration alone, on the task engine, behind one task object and signed file links."""
