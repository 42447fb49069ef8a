"""The Kling family: Kling's official API (text-to-video, image-to-video, image generation) as clients
call it, billed through the task engine, results behind the gateway's signed, streamed links."""
