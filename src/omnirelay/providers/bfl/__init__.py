"""Black Forest Labs' own Flux API as an upstream (``bfl`` channels, secret = the ``x-key``)."""
