"""What a customer does for their own account, whatever the door (platform API, console pages).

Every function here takes the account (or user) it acts for and never reaches another account's
rows: the HTTP edges (``api/platform/``, ``console/``) only say who is signed in.
"""
