"""The admin JSON API under ``/api/admin/`` (admin key required).

The CLI calls the same services (``omnirelay.admin``).
"""
