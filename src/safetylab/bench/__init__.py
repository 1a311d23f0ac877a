"""Speed benchmarks behind ``safetylab bench`` and the scripts in ``benchmarks/``.

One home for benchmark code: the package holds what ``safetylab bench`` runs (so it works from
an installed wheel); ``benchmarks/*.py`` are thin scripts that call it, or the other public
APIs, and write ``benchmarks/results/*.json``. Nothing here is imported by the stages.

    from safetylab.bench import run_train_bench, bench_generate
"""

from safetylab.bench._generate import bench_generate, bench_prompts, load_average
from safetylab.bench._study import halving_check, headline, machine, merge_results, time_study
from safetylab.bench._train import run_train_bench

__all__ = [
    "bench_generate",
    "bench_prompts",
    "halving_check",
    "headline",
    "load_average",
    "machine",
    "merge_results",
    "run_train_bench",
    "time_study",
]
