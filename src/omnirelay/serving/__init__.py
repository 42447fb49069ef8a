"""Running the gateway: one process (:mod:`.worker`), or a supervisor and N workers (:mod:`.supervisor`).

:func:`~omnirelay.serving.launch.serve` picks by ``server.workers``. docs/operate-scale-out.md.
"""
