"""The operator console (``/console/admin``): pages for users with the ``operator`` flag.

Every action goes through the same service code as the admin JSON API and the CLI (``omnirelay.admin``).
"""
