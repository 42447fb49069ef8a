"""Fakes of upstream providers and a loopback server runner, for tests and for operators' own tests."""

from omnirelay.testing.fake_openai import FakeOpenAI, FakeOpenAIKnobs, RecordedRequest, run_fake_openai
from omnirelay.testing.live_server import serve_in_thread

__all__ = ["FakeOpenAI", "FakeOpenAIKnobs", "RecordedRequest", "run_fake_openai", "serve_in_thread"]
