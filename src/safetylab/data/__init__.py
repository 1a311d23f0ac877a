"""Datasets (bundled and public), user files, mixtures, dedup and contamination checks."""

from safetylab.data._bundled import (
    BUNDLED_DIR,
    MCQuestion,
    PairedPrompt,
    bundled_kind,
    bundled_prompts,
    bundled_records,
    load_bundled,
    mcq_questions,
    paired_prompts,
    round_robin,
    sensitive_pairs,
)
from safetylab.data._card import build_card, card_path_for, mixture_sha256, write_mixture
from safetylab.data._contamination import normalize
from safetylab.data._dedup import EvalItem, contamination, dedup
from safetylab.data._public import (
    PUBLIC,
    PublicDataset,
    fetch,
    is_available,
    load_dataset,
    load_public,
    load_public_with_files,
    public_spec,
)
from safetylab.data._public_files import data_cache
from safetylab.data._public_readers import LabelledCompletion
from safetylab.data._recipe import MixConfig, load_mix_config, parse_mix_config
from safetylab.data._strategies import Mixture, build_mixtures, output_path
from safetylab.data._userfile import Columns, UserData, csv_header, iter_rows, load_user_file

__all__ = [
    "BUNDLED_DIR",
    "Columns",
    "EvalItem",
    "LabelledCompletion",
    "MCQuestion",
    "MixConfig",
    "Mixture",
    "PUBLIC",
    "PairedPrompt",
    "PublicDataset",
    "UserData",
    "build_card",
    "build_mixtures",
    "bundled_kind",
    "bundled_prompts",
    "bundled_records",
    "card_path_for",
    "contamination",
    "csv_header",
    "data_cache",
    "dedup",
    "fetch",
    "is_available",
    "iter_rows",
    "load_bundled",
    "load_dataset",
    "load_mix_config",
    "load_public",
    "load_public_with_files",
    "load_user_file",
    "mcq_questions",
    "mixture_sha256",
    "normalize",
    "output_path",
    "paired_prompts",
    "parse_mix_config",
    "public_spec",
    "round_robin",
    "sensitive_pairs",
    "write_mixture",
]

from safetylab._autoload import import_submodules as _import_submodules

_import_submodules(__name__, __path__)
