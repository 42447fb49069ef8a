"""Fakes of upstream providers and a loopback server runner, for tests and for operators' own tests."""

from omnirelay.testing._fake_vendor_jobs import FakeVendorKnobs
from omnirelay.testing.fake_anthropic import FakeAnthropic, FakeAnthropicKnobs
from omnirelay.testing.fake_ark import FakeArk, FakeArkKnobs, run_fake_ark
from omnirelay.testing.fake_bfl import FakeBfl, FakeBflKnobs, run_fake_bfl
from omnirelay.testing.fake_digital_human import FakeDigitalHuman, run_fake_digital_human
from omnirelay.testing.fake_gemini import FakeGemini, FakeGeminiKnobs, run_fake_gemini
from omnirelay.testing.fake_ideogram import FakeIdeogram, FakeIdeogramKnobs, run_fake_ideogram
from omnirelay.testing.fake_kling import FakeKling, FakeKlingKnobs, run_fake_kling
from omnirelay.testing.fake_midjourney import FakeMidjourney, FakeMidjourneyKnobs, run_fake_midjourney
from omnirelay.testing.fake_minimax import FakeMiniMax, FakeMiniMaxKnobs, run_fake_minimax
from omnirelay.testing.fake_openai import FakeOpenAI, FakeOpenAIKnobs, RecordedRequest, run_fake_openai
from omnirelay.testing.fake_ppt import FakePpt, run_fake_ppt
from omnirelay.testing.fake_recraft import FakeRecraft, FakeRecraftKnobs, run_fake_recraft
from omnirelay.testing.fake_replicate import FakeReplicate, FakeReplicateKnobs, run_fake_replicate
from omnirelay.testing.fake_rerank import FakeRerank, FakeRerankKnobs
from omnirelay.testing.fake_suno import FakeSuno, FakeSunoKnobs, run_fake_suno
from omnirelay.testing.live_server import serve_in_thread

__all__ = [
    "FakeAnthropic",
    "FakeAnthropicKnobs",
    "FakeDigitalHuman",
    "FakeArk",
    "FakeArkKnobs",
    "FakeBfl",
    "FakeBflKnobs",
    "FakeGemini",
    "FakeGeminiKnobs",
    "FakeIdeogram",
    "FakeIdeogramKnobs",
    "FakeKling",
    "FakeKlingKnobs",
    "FakeMidjourney",
    "FakeMidjourneyKnobs",
    "FakeMiniMax",
    "FakeMiniMaxKnobs",
    "FakeOpenAI",
    "FakeOpenAIKnobs",
    "FakePpt",
    "FakeRecraft",
    "FakeRecraftKnobs",
    "FakeReplicate",
    "FakeReplicateKnobs",
    "FakeRerank",
    "FakeRerankKnobs",
    "FakeSuno",
    "FakeSunoKnobs",
    "FakeVendorKnobs",
    "RecordedRequest",
    "run_fake_ark",
    "run_fake_bfl",
    "run_fake_digital_human",
    "run_fake_gemini",
    "run_fake_ideogram",
    "run_fake_kling",
    "run_fake_midjourney",
    "run_fake_minimax",
    "run_fake_openai",
    "run_fake_ppt",
    "run_fake_recraft",
    "run_fake_replicate",
    "run_fake_suno",
    "serve_in_thread",
]
