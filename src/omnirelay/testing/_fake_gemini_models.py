"""The fake Gemini API's model catalogue and embeddings: ``Model`` objects, pages, unit vectors."""

from __future__ import annotations

from typing import Any

from omnirelay.testing._fake_embeddings import _vector
from omnirelay.testing._fake_gemini_request import GeminiError

__all__ = ["embedding", "model_info", "model_page", "supports"]

_CHAT_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
_EMBEDDING_METHODS = ["embedContent", "countTextTokens", "countTokens"]
_METHOD_OF = {"streamGenerateContent": "generateContent", "batchEmbedContents": "embedContent"}
_EMBED_FIELDS = frozenset({"model", "content", "taskType", "title", "outputDimensionality"})


def _is_embedding(model: str) -> bool:
    return "embedding" in model


def model_info(model: str) -> dict[str, Any]:
    """A ``Model`` resource as ``GET /v1beta/models/{model}`` answers it."""
    info: dict[str, Any] = {
        "name": f"models/{model}",
        "version": "001",
        "displayName": model,
        "description": f"A fake {model} (omnirelay.testing.FakeGemini).",
        "inputTokenLimit": 2048 if _is_embedding(model) else 1_048_576,
        "outputTokenLimit": 1 if _is_embedding(model) else 65_536,
        "supportedGenerationMethods": _EMBEDDING_METHODS if _is_embedding(model) else _CHAT_METHODS,
    }
    if not _is_embedding(model):
        thinking = model.startswith(("gemini-2.5", "gemini-3")) or "thinking" in model
        info.update(temperature=1.0, maxTemperature=2.0, topP=0.95, topK=64, thinking=thinking)
    return info


def supports(models: list[str], model: str, method: str, version: str = "v1beta") -> None:
    """Raise the real 404 unless ``model`` is listed and serves ``method``."""
    wanted = _METHOD_OF.get(method, method)
    if model not in models or wanted not in model_info(model)["supportedGenerationMethods"]:
        raise GeminiError(
            404,
            f"models/{model} is not found for API version {version}, or is not supported for {wanted}. "
            "Call ListModels to see the list of available models and their supported methods.",
        )


def model_page(models: list[str], size: str | None, token: str | None) -> dict[str, Any]:
    """One page of ``GET /v1beta/models`` (``pageSize`` default 50, ``pageToken`` from the last page)."""
    try:
        count, start = int(size or 50), int(token or 0)
    except ValueError:
        raise GeminiError(400, "Invalid pageSize or pageToken.") from None
    page: dict[str, Any] = {"models": [model_info(m) for m in models[start : start + max(1, count)]]}
    if start + max(1, count) < len(models):
        page["nextPageToken"] = str(start + max(1, count))
    return page


def _text(content: Any, where: str) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise GeminiError(400, f"* {where}.content.parts: contents.parts must not be empty.")
    return " ".join(str(p.get("text") or "") for p in parts if isinstance(p, dict))


def embedding(request: Any, model: str, where: str) -> dict[str, Any]:
    """``{"values": [...]}`` for one embed request: a deterministic unit vector of its text.

    The same text gives the same vector as the OpenAI fake's ``/v1/embeddings`` (same dimensions).
    """
    if not isinstance(request, dict):
        raise GeminiError(400, f"Invalid JSON payload received. Expected an object at '{where}'.")
    for name in request:
        if name not in _EMBED_FIELDS:
            raise GeminiError(
                400, f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
            )
    if request.get("model") not in (None, f"models/{model}"):
        raise GeminiError(400, f"* {where}.model: the model in each request must be models/{model}.")
    dimensions = request.get("outputDimensionality") or (3072 if model == "gemini-embedding-001" else 768)
    if not isinstance(dimensions, int) or dimensions < 1:
        raise GeminiError(400, f"* {where}.output_dimensionality: must be a positive integer.")
    return {"values": _vector(_text(request.get("content"), where), dimensions)}
