"""The BFL family: Black Forest Labs' own asynchronous Flux API (``/v1/flux-*``, ``/v1/get_result``) as
clients call it, billed through the task engine, results behind the gateway's signed, streamed links."""
