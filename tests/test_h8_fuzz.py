from __future__ import annotations
from collections.abc import Callable
import httpx
from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token, sqlite_only

BAD = ["x", 5, 1.5, True, [1], {"a": 1}, [], {}, -1, 2**63]
BODIES = {
    "/v1/chat/completions": ({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]},
        ["model", "messages", "stream", "stream_options", "n", "max_tokens", "max_completion_tokens", "seed", "temperature", "top_p", "stop", "user", "tools", "tool_choice", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs", "metadata", "logit_bias", "modalities", "prediction", "reasoning_effort"]),
    "/v1/embeddings": ({"model": "gpt-test", "input": "hi"}, ["model", "input", "dimensions", "encoding_format", "user"]),
    "/v1/rerank": ({"model": "gpt-test", "query": "q", "documents": ["a", "b"]}, ["model", "query", "documents", "top_n", "return_documents", "max_tokens_per_doc", "rank_fields"]),
    "/v2/rerank": ({"model": "gpt-test", "query": "q", "documents": ["a", "b"]}, ["model", "query", "documents", "top_n", "return_documents", "max_tokens_per_doc"]),
    "/v1/audio/speech": ({"model": "gpt-test", "input": "hi", "voice": "alloy"}, ["model", "input", "voice", "response_format", "speed", "instructions", "stream_format"]),
    "/v1/images/generations": ({"model": "gpt-test", "prompt": "hi"}, ["model", "prompt", "n", "size", "quality", "response_format", "style", "user", "background"]),
    "/v1/messages": ({"model": "gpt-test", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}, ["model", "max_tokens", "messages", "system", "stream", "temperature", "top_p", "top_k", "stop_sequences", "metadata", "tools", "tool_choice", "thinking"]),
}

@sqlite_only
def test_fuzz(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> None:
    up = make_upstream()
    gw = make_gateway(**funded(), channels=[channel("up", up)], prices=[per_token()])
    c = httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {USER_KEY}", "x-api-key": USER_KEY, "anthropic-version": "2023-06-01"}, timeout=10)
    bad = []
    for path, (base, fields) in BODIES.items():
        for f in fields:
            for v in BAD:
                try:
                    r = c.post(path, json={**base, f: v})
                    code = r.status_code
                except Exception as e:
                    code = repr(e)
                    c = httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {USER_KEY}", "x-api-key": USER_KEY, "anthropic-version": "2023-06-01"}, timeout=10)
                if code == 500 or not isinstance(code, int):
                    bad.append((path, f, repr(v)[:20], code))
                    print("BAD", path, f, repr(v)[:20], code, flush=True)
    print("BAD", len(bad))
    for b in bad: print("BAD", b)
