"""Probes: hidden states, linear probes, attention to focus words, the refusal direction, and
the consistency of refusals. Does the tuned model understand harm, or match keywords?

safetylab probe all --run runs/q1
"""

from safetylab.probes._attention import focus_attention, focus_positions
from safetylab.probes._causal import probe_direction, probe_refusals
from safetylab.probes._consistency import (
    CATEGORY_LEXICON,
    GENERIC_REASON,
    consistency_summary,
    reason_categories,
    refusal_reason,
)
from safetylab.probes._direction import (
    cosine_matrix,
    refusal_directions,
    select_layer,
    separation,
    steer,
)
from safetylab.probes._hidden import HiddenStates, cache_key, hidden_states, n_hidden
from safetylab.probes._items import ProbeItem, has_keyword, probe_items, subsample, xstest_items
from safetylab.probes._linear import (
    ProbeResult,
    ProbeSet,
    best_layer,
    cell_rates,
    cv_predictions,
    keyword_reliance,
    linear_probes,
    make_probe,
)
from safetylab.probes._run import (
    STAGES,
    Checkpoint,
    ProbeConfig,
    checkpoints,
    probe_attention,
    probe_linear,
    run_stages,
)

__all__ = [
    "CATEGORY_LEXICON",
    "GENERIC_REASON",
    "STAGES",
    "Checkpoint",
    "HiddenStates",
    "ProbeConfig",
    "ProbeItem",
    "ProbeResult",
    "ProbeSet",
    "best_layer",
    "cache_key",
    "cell_rates",
    "checkpoints",
    "consistency_summary",
    "cosine_matrix",
    "cv_predictions",
    "focus_attention",
    "focus_positions",
    "has_keyword",
    "hidden_states",
    "keyword_reliance",
    "linear_probes",
    "make_probe",
    "n_hidden",
    "probe_attention",
    "probe_direction",
    "probe_items",
    "probe_linear",
    "probe_refusals",
    "reason_categories",
    "refusal_directions",
    "refusal_reason",
    "run_stages",
    "select_layer",
    "separation",
    "steer",
    "subsample",
    "xstest_items",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
