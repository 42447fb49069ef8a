"""The Ark family: Volcengine Ark's own API as clients call it. Seedream/SeedEdit images (synchronous,
billed per image through the gate, kept behind the gateway's signed image links) and Seedance video
tasks (on the task engine, results behind signed, streamed links)."""
