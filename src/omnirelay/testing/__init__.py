"""Fakes of upstream providers and a loopback server runner, for tests and for operators' own tests."""

from omnirelay.testing.fake_anthropic import FakeAnthropic, FakeAnthropicKnobs
from omnirelay.testing.fake_gemini import FakeGemini, FakeGeminiKnobs, run_fake_gemini
from omnirelay.testing.fake_kling import FakeKling, FakeKlingKnobs, run_fake_kling
from omnirelay.testing.fake_midjourney import FakeMidjourney, FakeMidjourneyKnobs, run_fake_midjourney
from omnirelay.testing.fake_openai import FakeOpenAI, FakeOpenAIKnobs, RecordedRequest, run_fake_openai
from omnirelay.testing.fake_replicate import FakeReplicate, FakeReplicateKnobs, run_fake_replicate
from omnirelay.testing.fake_rerank import FakeRerank, FakeRerankKnobs
from omnirelay.testing.fake_suno import FakeSuno, FakeSunoKnobs, run_fake_suno
from omnirelay.testing.live_server import serve_in_thread

__all__ = [
    "FakeAnthropic",
    "FakeAnthropicKnobs",
    "FakeGemini",
    "FakeGeminiKnobs",
    "FakeKling",
    "FakeKlingKnobs",
    "FakeMidjourney",
    "FakeMidjourneyKnobs",
    "FakeOpenAI",
    "FakeOpenAIKnobs",
    "FakeReplicate",
    "FakeReplicateKnobs",
    "FakeRerank",
    "FakeRerankKnobs",
    "FakeSuno",
    "FakeSunoKnobs",
    "RecordedRequest",
    "run_fake_gemini",
    "run_fake_kling",
    "run_fake_midjourney",
    "run_fake_openai",
    "run_fake_replicate",
    "run_fake_suno",
    "serve_in_thread",
]
