"""Fine-tuning: LoRA / QLoRA / full, response-only loss, packing or length-grouped batches,
gradient accumulation, checkpoints with exact resume, several processes under accelerate.

    safetylab train --model smollm2 --data mix.jsonl --out runs/adapter --config cpu-lora
    safetylab merge --model smollm2 --adapter runs/adapter --out runs/merged
"""

from safetylab.train._batching import collate, example_targets, make_plan
from safetylab.train._checkpoint import latest_checkpoint
from safetylab.train._config import (
    TRAIN_PRESETS,
    TrainConfig,
    check_config,
    dump_train_config,
    load_train_config,
    train_config_from_dict,
)
from safetylab.train._data import encode_example, encode_examples, load_examples
from safetylab.train._dist import launched_distributed
from safetylab.train._fast import PrefixCache
from safetylab.train._loop import TrainingInterrupted, evaluate_loss, lr_at, train, validation_loss
from safetylab.train._lora import apply_lora
from safetylab.train._merge import merge_adapter
from safetylab.train._setup import load_for_training, prepare_model

__all__ = [
    "PrefixCache",
    "TRAIN_PRESETS",
    "TrainConfig",
    "TrainingInterrupted",
    "apply_lora",
    "check_config",
    "collate",
    "dump_train_config",
    "encode_example",
    "encode_examples",
    "evaluate_loss",
    "example_targets",
    "latest_checkpoint",
    "launched_distributed",
    "load_examples",
    "load_for_training",
    "load_train_config",
    "lr_at",
    "make_plan",
    "merge_adapter",
    "prepare_model",
    "train",
    "train_config_from_dict",
    "validation_loss",
]
