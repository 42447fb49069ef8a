"""Channels: upstream provider accounts, how one is chosen, and how failing ones are set aside."""
