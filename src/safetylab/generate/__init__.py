"""Generation backends (registered by name) and the resumable, cached generation stage."""

from safetylab.generate._backends import Backend, HFBackend, MockBackend
from safetylab.generate._openai import OpenAIBackend
from safetylab.generate._stage import generate_for, resolved_dtype
from safetylab.generate._vllm import VLLMBackend, import_vllm

__all__ = [
    "Backend",
    "HFBackend",
    "MockBackend",
    "OpenAIBackend",
    "VLLMBackend",
    "generate_for",
    "import_vllm",
    "resolved_dtype",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
