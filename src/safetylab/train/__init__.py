"""Fine-tuning: LoRA (PEFT) with response-only loss, length-grouped batches, bf16 autocast."""

from safetylab.train._lora import PrefixCache, TrainConfig, apply_lora, tokenize_examples, train

__all__ = ["PrefixCache", "TrainConfig", "apply_lora", "tokenize_examples", "train"]
