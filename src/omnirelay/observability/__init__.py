"""What the gateway says about itself: Prometheus metrics (``GET /metrics``)."""
