"""Generation backends (registered by name) and the resumable, cached generation stage."""

from safetylab.generate._backends import Backend, HFBackend, MockBackend
from safetylab.generate._stage import generate_for

__all__ = ["Backend", "HFBackend", "MockBackend", "generate_for"]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
