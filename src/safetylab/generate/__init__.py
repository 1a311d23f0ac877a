"""Generation backends (registered by name) and the resumable, cached generation stage."""

from safetylab.generate._backends import Backend, HFBackend, MockBackend
from safetylab.generate._stage import generate_for

__all__ = ["Backend", "HFBackend", "MockBackend", "generate_for"]
