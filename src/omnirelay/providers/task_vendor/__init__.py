"""Declared "submit, then poll" vendors as an upstream (``task_vendor`` channels, option ``vendor``)."""
