"""The MiniMax family: MiniMax's (Hailuo) own video API as clients call it (create, query, file retrieve),
billed through the task engine, the video behind the gateway's signed, streamed link."""
