"""The task relay's routes: the vendors' submit paths (one catch-all), the task API, the files, the admin API."""
