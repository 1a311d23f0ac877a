"""How far can a MiniLM-based refusal judge get on XSTest if it is *given* XSTest's human labels?

Leave-one-model-out: for each of the five XSTest files, readers are fitted on the human labels of
the other four files and scored on the held-out one (binary accuracy, partial counts as refusal,
and 3-way macro-F1, as in ``judge_validate.py``). This is a ceiling for the shipped ``refusal``
judge, which may not be fitted on XSTest at all (issue 5), and it is generous: the files share
their prompts, and llama2orig (v2) and llama2 (v1) are the same model family.

    python benchmarks/judge_ceiling.py [--finetune "llama2 (v1),mistralguard (v2)"]

Readers:
- ``features``: the shipped judge's 39 answer features (same sentence taggers), new 3-way head;
- ``features+answer``: plus the MiniLM embedding of the whole answer (first 256 word pieces),
  which the shipped judge cannot afford within its 20 s per 1,000 answers (it embeds 64);
- ``features+answer+prompt``: plus the embedding of the prompt (the judge reads answers only);
- ``finetuned`` (only with ``--finetune``, about 10 min per held-out file on 2 cores): all of
  MiniLM fine-tuned end to end (3 epochs, 128 word pieces, lr 5e-5, class-balanced loss).

Writes benchmarks/results/judge_ceiling.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from judge_validate import DEFAULT_DATA, FILES, GOAL_ACCURACY, GOAL_MACRO_F1  # noqa: E402

HEAD_C = (0.01, 0.1)  #: inverse regularisation of the heads (both reported: no tuning on test)


def load(data: Path) -> dict[str, tuple[list[str], list[str], list[str]]]:
    from safetylab.judges import read_labelled

    out = {}
    for name, f in FILES.items():
        if (data / f).is_file():
            p, r, t = read_labelled(data / f, "prompt", "completion", "final_label")
            keep = [i for i, x in enumerate(r) if x.strip()]  # the judge labels empty by rule
            out[name] = ([p[i] for i in keep], [r[i] for i in keep], [t[i] for i in keep])
    return out


def score(truth: list[str], pred: list[str]) -> dict[str, float]:
    from safetylab.judges import validation_report

    rep = validation_report(truth, pred).to_dict()
    return {"accuracy": round(rep["accuracy"], 3), "macro_f1": round(rep["macro_f1"], 3)}


def heads(
    d: dict[str, tuple[list[str], list[str], list[str]]], c: float, cols: dict[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """Leave-one-model-out logistic-regression heads on the given feature columns."""
    from sklearn.linear_model import LogisticRegression

    out = {}
    for test in d:
        train = [k for k in d if k != test]
        x = np.vstack([cols[k] for k in train])
        y = [lab for k in train for lab in d[k][2]]
        mean, sd = x.mean(0), x.std(0)
        sd[sd < 1e-6] = 1.0
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        clf.fit((x - mean) / sd, y)
        out[test] = score(d[test][2], list(clf.predict((cols[test] - mean) / sd)))
    return out


def finetune(d: dict[str, tuple[list[str], list[str], list[str]]], test: str) -> dict[str, float]:
    """All of MiniLM fine-tuned (3-way) on the other files, scored on ``test``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from safetylab.judges import embedder_folder
    from safetylab.records import LABELS

    torch.manual_seed(0)
    folder = str(embedder_folder())
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=3)
    train = [(r, LABELS.index(t)) for k in d if k != test for r, t in zip(*d[k][1:], strict=True)]
    counts = np.bincount([y for _, y in train], minlength=3)
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(len(train) / (3 * counts), dtype=torch.float)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    for epoch in range(3):
        model.train()
        order = np.random.RandomState(epoch).permutation(len(train))
        for s in range(0, len(train), 16):
            batch = [train[i] for i in order[s : s + 16]]
            enc = tok([x for x, _ in batch], truncation=True, max_length=128, padding=True,
                      return_tensors="pt")  # fmt: skip
            loss_fn(model(**enc).logits, torch.tensor([y for _, y in batch])).backward()
            opt.step()
            opt.zero_grad()
    model.eval()
    pred: list[str] = []
    with torch.inference_mode():
        texts = d[test][1]
        for s in range(0, len(texts), 32):
            enc = tok(texts[s : s + 32], truncation=True, max_length=128, padding=True,
                      return_tensors="pt")  # fmt: skip
            pred += [LABELS[i] for i in model(**enc).logits.argmax(-1).tolist()]
    return score(d[test][2], pred)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument(
        "--finetune", default="", help="comma-separated held-out files to fine-tune for"
    )
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from safetylab.judges import (
        REFUSAL_WEIGHTS,
        MiniLM,
        RefusalModel,
        answer_features,
        embedder_folder,
    )

    d = load(Path(args.data))
    if len(d) < 2:
        sys.exit(f"{args.data}: need at least two XSTest completion files ({', '.join(FILES)})")
    t0 = time.time()
    taggers = RefusalModel.load(REFUSAL_WEIGHTS).taggers
    feats = {k: answer_features(v[1], taggers) for k, v in d.items()}
    whole = MiniLM(embedder_folder(), max_tokens=256)
    answer = {k: whole.encode(v[1]) for k, v in d.items()}
    prompt = {k: whole.encode(v[0]) for k, v in d.items()}
    readers = {
        "features": feats,
        "features+answer": {k: np.hstack([feats[k], answer[k]]) for k in d},
        "features+answer+prompt": {k: np.hstack([feats[k], answer[k], prompt[k]]) for k in d},
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, cols in readers.items():
        for c in HEAD_C:
            results[f"{name} (C={c})"] = heads(d, c, cols)
            print(name, c, results[f"{name} (C={c})"], flush=True)
    for test in [t for t in args.finetune.split(",") if t]:
        if test not in d:
            sys.exit(f"--finetune: unknown file {test!r}; choose from {', '.join(d)}")
        results.setdefault("finetuned MiniLM", {})[test] = finetune(d, test)
        print("finetuned", test, results["finetuned MiniLM"][test], flush=True)

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"results": results, "n": {k: len(v[2]) for k, v in d.items()},
           "seconds": round(time.time() - t0, 1)}  # fmt: skip
    (out / "judge_ceiling.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    lines = [
        "Leave-one-model-out ceiling: readers fitted on XSTest's human labels of the other four",
        "files, scored on the held-out file (binary accuracy / 3-way macro-F1). Goal of the",
        f"shipped judge (fitted on no XSTest file): >= {GOAL_ACCURACY} / {GOAL_MACRO_F1} on each.",
        "",
        "| reader | " + " | ".join(d) + " |",
        "|---|" + "---:|" * len(d),
    ]
    for name, row in results.items():
        cells = [f"{row[k]['accuracy']:.3f} / {row[k]['macro_f1']:.3f}" if k in row else "-"
                 for k in d]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    (out / "judge_ceiling.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
