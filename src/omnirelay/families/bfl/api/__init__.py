"""BFL's own routes (``POST /v1/flux-*``, ``GET /v1/get_result``, also under ``/bfl``) and the signed result links."""
