"""The home page's copyable examples: the official SDKs and curl against this gateway, per model."""

from __future__ import annotations

__all__ = ["examples"]

_KEY = "sk-..."


def examples(base_url: str, model: str) -> dict[str, str]:
    """``curl``, ``python`` and ``node`` snippets calling chat completions on ``base_url`` (``.../v1``)."""
    curl = (
        f"curl {base_url}/chat/completions \\\n"
        f'  -H "Authorization: Bearer {_KEY}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f'  -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": "Hello"}}]}}\''
    )
    python = (
        "from openai import OpenAI\n\n"
        f'client = OpenAI(base_url="{base_url}", api_key="{_KEY}")\n'
        "reply = client.chat.completions.create(\n"
        f'    model="{model}", messages=[{{"role": "user", "content": "Hello"}}]\n'
        ")\n"
        "print(reply.choices[0].message.content)"
    )
    node = (
        'import OpenAI from "openai";\n\n'
        f'const client = new OpenAI({{ baseURL: "{base_url}", apiKey: "{_KEY}" }});\n'
        "const reply = await client.chat.completions.create({\n"
        f'  model: "{model}",\n'
        '  messages: [{ role: "user", content: "Hello" }],\n'
        "});\n"
        "console.log(reply.choices[0].message.content);"
    )
    return {"curl": curl, "python": python, "node": node}
