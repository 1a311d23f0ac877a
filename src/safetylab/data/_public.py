"""Public datasets by name: read from a local copy (``--source DIR``) or fetched once into the
cache from their published GitHub raw URLs, each checked against a pinned sha256.

safetylab data list
safetylab data show advbench --source ../shared/data
safetylab data fetch xstest            # needs network; offline it fails with one line

``--source DIR`` is a copy laid out like the upstream repository (``DIR/data/advbench/...``)
or a folder holding such copies by repository name (``DIR/llm-attacks/data/advbench/...``).
Loaders return ``Prompt`` records for evaluation sets, ``Example`` records for training sets
and ``LabelledCompletion`` records for XSTest's human-labelled completions.

This module holds the catalogue (specs, label notes, the registry) and loading by name; the file
parsers are in ``_public_readers``, finding and fetching files in ``_public_files``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from safetylab.data._bundled import Kind
from safetylab.data._public_files import (
    Loc,
    RemoteFile,
    ResolvedFile,
    _candidates,
    _pinned_sha,
    data_cache,
    fetch_file,
)
from safetylab.data._public_readers import (
    _alpaca_cleaned,
    _csv_prompts,
    _harmbench,
    _instruction_list,
    _stl_eval,
    _stl_train,
    _xstest,
    _xstest_completions,
)
from safetylab.data._userfile import sha256_path
from safetylab.errors import SafetylabError
from safetylab.registry import datasets

_GH = "https://raw.githubusercontent.com"
_STL = f"{_GH}/vinid/safety-tuned-llamas/36a4b8d5c2177ed165bf61f59b590161394f7f12"
_XS2 = f"{_GH}/paul-rottger/exaggerated-safety/d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d"
_XS1 = f"{_GH}/paul-rottger/exaggerated-safety/5fadc7ff1795f0f034483af69bdd95d2c7430761"
_LA = f"{_GH}/llm-attacks/llm-attacks/098262edf85f807224e70ecd87b9d83716bf6b73"
_RD = f"{_GH}/andyrdt/refusal_direction/9d852fae1a9121c78b29142de733cb1340770cc3"
_AC = f"{_GH}/gururise/AlpacaDataCleaned/main"

_LIC_STL = "CC BY-NC 4.0"
_LIC_XSC = "CC BY 4.0 annotations; completions under Meta/Mistral/OpenAI terms"


@dataclass(frozen=True)
class PublicDataset:
    """A public dataset: what it is, where it comes from, and how to parse it."""

    name: str  #: the name users type
    kind: Kind  #: eval (Prompts), train (Examples), judge (LabelledCompletions), prompts
    size: int  #: number of records in the pinned version
    license: str  #: license of the data, as read from the source
    description: str  #: one line: what it is and what it is for
    files: tuple[RemoteFile, ...]  #: the files it is read from
    parse: Callable[[dict[str, Path]], list[Any]]  #: files by key -> records
    size_exact: bool = True  #: False when the upstream file is not pinned (size approximate)
    view_of: str = ""  #: the dataset this is a filtered view of (not checked twice)
    labels: str = ""  #: what the safe/unsafe label means, where it comes from, its known noise

    def __call__(self, source: str | Path | None = None) -> list[Any]:
        return load_public(self.name, source)


# ---------------------------------------------------------------- the catalogue


def _f(
    base: str, repo: str, path: str, sha: str | None, *alt: Loc, key: str = "data"
) -> RemoteFile:
    return RemoteFile(key, f"{base}/{path}", sha, Loc(repo, path), tuple(alt))


_STL_EVAL = [
    # name, file stem, label, category (None: per-item tags), size, sha256, purpose
    ("i-malicious-instructions", "I-MaliciousInstructions", "unsafe", None, 100,
     "7a2bc751d49983800848050282aa2a84b3faa7044c3178228c49dd68df7d679f",
     "100 malicious instructions tagged hate (66) / crime (34)"),
    ("i-cona", "I-CoNa", "unsafe", "hate", 178,
     "e07d92e376198e60ac1004902dc3fec46513ac70b08d855b4101288b8270d62a",
     "178 instructions to justify hateful statements (CoNa)"),
    ("i-controversial", "I-Controversial", "unsafe", "controversial", 40,
     "0590fc6ee97a39c6a43adc21fe5a4ccbf546ea52e89a32757db6ea3d46ce65c4",
     "40 instructions on controversial or discriminatory claims"),
    ("q-harm", "Q-Harm", "unsafe", "harmful", 100,
     "ecc1d19030d41ad550a1e69996dc424074e3e45fb2fa5e8e44b46f294aea295a",
     "100 harmful requests phrased as questions"),
    ("i-physical-safety-safe", "I-PhysicalSafetySafe", "safe", "physical_safety", 100,
     "34c874532623e405fb574f0fa8d6b86cbecce0e3340f67b146a6a6bc2453bed6",
     "100 requests for reasons behind safe advice (SafeText)"),
    ("i-physical-safety-unsafe", "I-PhysicalSafetyUnsafe", "unsafe", "physical_safety", 100,
     "16324a2f1ded933e8c7a9f6c7d3924130f76260d03f9df2205e0a25c02de8aae",
     "100 requests to justify unsafe advice (SafeText)"),
    ("i-alpaca", "I-Alpaca", "safe", "general", 50,
     "30db84ee303df15b653566437ccf1a2fc837caac99a570915d720f65f041fe6d",
     "50 benign Alpaca-style instructions (helpfulness)"),
]  # fmt: skip

_SPECS: list[PublicDataset] = [
    PublicDataset(
        name, "eval", size, _LIC_STL, f"Safety-Tuned LLaMAs eval: {purpose}",
        (_f(_STL, "safety-tuned-llamas", f"data/evaluation/{stem}.json", sha),),
        partial(_stl_eval, suite=name, label=label, category=cat or ""),
    )
    for name, stem, label, cat, size, sha, purpose in _STL_EVAL
]  # fmt: skip

_RD_RAW = "refusal_direction"
_SPECS += [
    PublicDataset(
        "stl-safety", "train", 2483, _LIC_STL,
        "Safety-Tuned LLaMAs training set: 2,483 harmful instructions with refusals",
        (_f(_STL, "safety-tuned-llamas", "data/training/safety_only_data_Instructions.json",
            "7dde08acf87f10cf74fd1b76f56538eae8e413ae8e6b09e3f7bcd97769058dbe"),),
        _stl_train,
    ),
    PublicDataset(
        "xstest", "eval", 450, "CC BY 4.0",
        "XSTest v2: 250 safe prompts that look unsafe + 200 unsafe contrasts (type, focus)",
        (_f(_XS2, "exaggerated-safety", "xstest_prompts.csv",
            "11783fb294ed017473ee53c207d71f2161c7672c8d0b037501e78387f801cb5a"),),
        partial(_xstest, suite="xstest"),
    ),
    PublicDataset(
        "xstest-v1", "eval", 200, "CC BY 4.0", "XSTest v1: 200 safe prompts (10 types x 20)",
        (_f(_XS1, "exaggerated-safety", "xstest_prompts_v1.csv",
            "6cac2f2e0ae268c020ff340d803f5601a442640b91d7eb586337eebef004e97b"),),
        partial(_xstest, suite="xstest-v1"),
    ),
    PublicDataset(
        "advbench", "eval", 520, "MIT", "AdvBench: 520 harmful behaviours (goal)",
        (_f(_LA, "llm-attacks", "data/advbench/harmful_behaviors.csv",
            "6cd1a5c63c07610d7eb67307772ee5606017ee950b5770ab288a2c487489d3e1",
            Loc(_RD_RAW, "dataset/raw/advbench.csv")),),
        partial(_csv_prompts, suite="advbench", text="goal", category=None, ident=None),
    ),
    PublicDataset(
        "jailbreakbench", "eval", 100, "unverified here (check upstream)",
        "JailbreakBench JBB-Behaviors: 100 harmful goals in 10 categories",
        (_f(_RD, _RD_RAW, "dataset/raw/jailbreakbench.csv",
            "45e9a8923b28f547bb372fbaa9af7df8b38c818a80ae50c3bab97704197ff516",
            Loc("jailbreakbench", "src/jailbreakbench/data/behaviors.csv")),),
        partial(_csv_prompts, suite="jailbreakbench", text="Goal", category="Category",
                ident="Behavior"),
    ),
    PublicDataset(
        "strongreject", "eval", 313, "MIT (custom prompts); others keep their source licenses",
        "StrongREJECT: 313 forbidden prompts in 6 categories",
        (_f(_RD, _RD_RAW, "dataset/raw/strongreject.csv",
            "4dd70357e4ff8b5d0ba5ebafecab5d6dd5633ce8046e3dd1c8bd93e64de44381",
            Loc("strongreject", "strongreject_dataset/strongreject_dataset.csv")),),
        partial(_csv_prompts, suite="strongreject", text="forbidden_prompt",
                category="category", ident=None),
    ),
    PublicDataset(
        "malicious-instruct", "eval", 100, "unverified here (check upstream)",
        "MaliciousInstruct: 100 malicious instructions",
        (_f(_RD, _RD_RAW, "dataset/processed/malicious_instruct.json",
            "a88fb4ab8958e93fc2c525125eb448e55026018748c0ec1388a296738e2fcacc",
            Loc("Jailbreak_LLM", "data/MaliciousInstruct.txt")),),
        partial(_instruction_list, suite="malicious-instruct", label="unsafe",
                category="harmful", keys=("data",)),
    ),
    PublicDataset(
        "tdc2023", "eval", 100, "unverified here (check upstream)",
        "TDC 2023 red-teaming behaviours: 50 dev + 50 test",
        (_f(_RD, _RD_RAW, "dataset/raw/tdc2023_dev_behaviors.json",
            "9392c63ad0193f0510f33812593f0dc71d13ae8b2ad93f64d670e9795deee1b0",
            Loc("tdc2023-starter-kit", "red_teaming/data/dev/behaviors.json"), key="dev"),
         _f(_RD, _RD_RAW, "dataset/raw/tdc2023_test_behaviors.json",
            "c4a630921005fd5e26dfe22dd720e411c8e7866c96f5b1a0ca2d46f0e1d1f8c2",
            Loc("tdc2023-starter-kit", "red_teaming/data/test/behaviors.json"), key="test")),
        partial(_instruction_list, suite="tdc2023", label="unsafe", category="harmful",
                keys=("dev", "test")),
    ),
    PublicDataset(
        "alpaca-instructions", "prompts", 31323, "CC BY-NC 4.0 (tatsu-lab/alpaca)",
        "31,323 Alpaca instructions without input (no answers; harmless prompts for probes)",
        (_f(_RD, _RD_RAW, "dataset/processed/alpaca.json",
            "c4ce1bdc5c9b92caabcb171c27c7ec1e79832836bae10291d7c8ab8c6245f600"),),
        partial(_instruction_list, suite="alpaca-instructions", label="safe",
                category="general", keys=("data",)),
    ),
    PublicDataset(
        "alpaca-cleaned", "train", 51760, "CC BY-NC 4.0",
        "Alpaca-cleaned instructions with answers (general data; online fetch only)",
        (_f(_AC, "AlpacaDataCleaned", "alpaca_data_cleaned.json", None),),
        _alpaca_cleaned, size_exact=False,
    ),
]  # fmt: skip

_HB_TEST = "75d257b3e7428c52eb7b0154318f455af3e01b09a3794b5e2f3d36054f3c0e29"
_HB_VAL = "7bfaaa5e2b9b95002c89e2d33c019f58e9e8496e2fc65d368f1eeb8179e69534"
_HB_DIR = "data/behavior_datasets"
for _name, _split, _sha, _fc, _n in [
    ("harmbench", "test", _HB_TEST, None, 320),
    ("harmbench-standard", "test", _HB_TEST, "standard", 159),
    ("harmbench-contextual", "test", _HB_TEST, "contextual", 81),
    ("harmbench-copyright", "test", _HB_TEST, "copyright", 80),
    ("harmbench-val", "val", _HB_VAL, None, 80),
]:
    _what = f"{_fc} behaviours" if _fc else "behaviours (standard/contextual/copyright)"
    _ctx = "; context string prepended" if _fc in (None, "contextual") else ""
    _SPECS.append(
        PublicDataset(
            _name, "eval", _n, "MIT",
            f"HarmBench {_split} split: {_n} text {_what}{_ctx}",
            (_f(_RD, _RD_RAW, f"dataset/raw/harmbench_{_split}.csv", _sha,
                Loc("HarmBench", f"{_HB_DIR}/harmbench_behaviors_text_{_split}.csv"),
                Loc("AdversariaLLM", f"{_HB_DIR}/harmbench_behaviors_text_{_split}.csv")),),
            partial(_harmbench, suite=_name, functional=_fc),
            view_of="harmbench" if _fc else "",
        )
    )  # fmt: skip

for _model, _sha, _base, _stem in [
    ("gpt4", "71af323af8ecdec0efae23992317721441d2cfedddedeef3248f842f4e15c9ca", _XS2,
     "model_completions/xstest_v2_completions_gpt4.csv"),
    ("llama2orig", "cbc52550e8ba8197a3e3d97a5af078d27bae4766737cd62df80270126a87ffc6", _XS2,
     "model_completions/xstest_v2_completions_llama2orig.csv"),
    ("mistralguard", "0ac03817b65e019a8f5b4b3eed805086f9f7fafe538ac9ebd156f80210af6903", _XS2,
     "model_completions/xstest_v2_completions_mistralguard.csv"),
]:  # fmt: skip
    _SPECS.append(
        PublicDataset(
            f"xstest-completions-{_model}",
            "judge",
            450,
            _LIC_XSC,
            f"XSTest v2 answers of {_model} with human labels (judge validation)",
            (_f(_base, "exaggerated-safety", _stem, _sha),),
            partial(_xstest_completions, model=_model),
        )
    )

_ALL_UNSAFE = "unsafe: every item, as the source publishes them all as harmful requests"


def _hb_labels(split: str, standard: int, contextual: int, copyright: int) -> str:
    return (
        f"{_ALL_UNSAFE} (category = SemanticCategory). FunctionalCategory is checked: "
        f"standard ({standard} in {split}), contextual ({contextual}; the context string is "
        f"prepended) and copyright ({copyright}: asks for copyrighted text; the harm is IP, "
        "not danger; judges score only whether the model refuses)"
    )


_HB_LABELS = _hb_labels("test", 159, 81, 80)
# What each public set's label means and its known noise, shown by `data show` and copied into
# data cards. Checked against the sources' own annotations where they have them (XSTest's label
# and type columns, HarmBench's functional categories, the study's per-file split, the
# I-MaliciousInstructions tags); no source marks any of the all-unsafe sets' items benign.
LABEL_NOTES: dict[str, str] = {
    "i-malicious-instructions": (
        f"{_ALL_UNSAFE}; category = the file's own tags (hate 66, crime 34)"
    ),
    "i-cona": (f"{_ALL_UNSAFE}: each asks to justify a hateful statement from the CoNa corpus"),
    "i-controversial": (
        f"{_ALL_UNSAFE}; known noise: some ask for an opinion on a contested topic rather "
        "than for harmful help"
    ),
    "q-harm": (
        "unsafe: all 100 items are labelled unsafe by the study; the source has no per-item "
        "labels, and some are benign help or knowledge requests (on a manual read, ids 4, 6, "
        "15, 22, 25, 30, 67, 70, 77 and 98 plainly so, about 10 more borderline opinion or "
        "trivia questions); treat harm-suite compliance on it as an upper bound"
    ),
    "i-physical-safety-safe": (
        "safe: every item, from the study's safe-advice file (SafeText's safe side): asks "
        "for the reasons behind safe physical advice"
    ),
    "i-physical-safety-unsafe": (
        "unsafe: every item, from the study's unsafe-advice file (SafeText's unsafe side): "
        "asks to justify advice that can cause physical harm"
    ),
    "i-alpaca": "safe: every item, from the study's benign-instruction file (helpfulness)",
    "stl-safety": (
        "unsafe: the request (the study's harmful instructions); the answer is the study's "
        "safe response, not always a refusal: strmatch-plus labels 438 of 2,483 answers as "
        "not refusing (many are corrective answers such as 'No, ...')"
    ),
    "xstest": (
        "the source's own label column: safe (250 prompts that only look unsafe) or unsafe "
        "(200 contrast prompts); checked to agree with the type column (contrast_* = unsafe) "
        "on every row"
    ),
    "xstest-v1": "safe: every item (v1 has no unsafe contrast prompts)",
    "advbench": f"{_ALL_UNSAFE}; known noise: many near-duplicate requests",
    "jailbreakbench": (
        f"{_ALL_UNSAFE} (JBB-Behaviors' harmful half; its benign twin set is not included); "
        "'Expert advice' and 'Government decision-making' items are harmful only in context"
    ),
    "strongreject": f"{_ALL_UNSAFE} (forbidden prompts, 6 categories)",
    "malicious-instruct": f"{_ALL_UNSAFE}; the source has no categories",
    "tdc2023": f"{_ALL_UNSAFE} (red-teaming behaviours, dev + test)",
    "alpaca-instructions": (
        "safe: every item (refusal_direction's harmless pool of Alpaca instructions); not "
        "reviewed item by item"
    ),
    "alpaca-cleaned": "safe: general instructions with answers; not reviewed item by item",
    "harmbench": _HB_LABELS,
    "harmbench-standard": _HB_LABELS,
    "harmbench-contextual": _HB_LABELS,
    "harmbench-copyright": _HB_LABELS,
    "harmbench-val": _hb_labels("val", 41, 19, 20),
}
for _m in ("gpt4", "llama2orig", "mistralguard"):
    LABEL_NOTES[f"xstest-completions-{_m}"] = (
        "prompt label from XSTest's type column (contrast_* = unsafe); the judgment is the "
        "annotators' final label (full compliance / full refusal / partial refusal)"
    )
_SPECS = [dataclasses.replace(s, labels=LABEL_NOTES[s.name]) for s in _SPECS]

PUBLIC: dict[str, PublicDataset] = {s.name: s for s in _SPECS}
for _spec in _SPECS:
    datasets.register(_spec.name, description=_spec.description)(_spec)

# the study's own file names, accepted as aliases
ALIASES = {stem.lower(): name for name, stem, *_ in _STL_EVAL}
ALIASES["safety_only_data_instructions"] = "stl-safety"


# ---------------------------------------------------------------- resolve, fetch, load


def public_spec(name: str) -> PublicDataset:
    """The public dataset called ``name`` (the study's file names work too)."""
    key = ALIASES.get(name.lower(), name)
    if key in PUBLIC:
        return PUBLIC[key]
    spec = datasets.get(key)  # raises with a did-you-mean
    if not isinstance(spec, PublicDataset):
        raise SafetylabError(f"{name!r} is not a public dataset")
    return spec


def resolve_files(name: str, source: str | Path | None = None) -> list[ResolvedFile]:
    """Locate every file of ``name`` under ``source`` (if given), else in the cache.

    A copy whose bytes match the pinned sha256 is preferred when several layouts exist.
    """
    spec = public_spec(name)
    cache = data_cache()
    out = []
    for f in spec.files:
        if source is not None:
            root = Path(source)
            if not root.is_dir():
                raise SafetylabError(f"--source {root}: not a folder")
            found = _candidates(root, f)
            where = f"under --source {root}"
        else:
            found = _candidates(cache, f)
            where = "in the cache"
        if not found:
            layouts = " or ".join(f"{loc.repo}/{loc.path}" for loc in (f.at, *f.alt))
            hint = (
                f"run `safetylab data fetch {spec.name}` (needs network) or pass --source DIR"
                if source is None
                else "check the folder layout"
            )
            raise SafetylabError(f"dataset {spec.name!r}: {layouts} not found {where}; {hint}")
        pin = _pinned_sha(f, cache)
        shas = [(p, sha256_path(p)) for p in found]
        path, sha = next(((p, s) for p, s in shas if s == pin), shas[0])
        out.append(ResolvedFile(f.key, path, sha, None if pin is None else sha == pin))
    return out


def is_available(name: str, source: str | Path | None = None) -> bool:
    try:
        resolve_files(name, source)
    except SafetylabError:
        return False
    return True


def load_public(name: str, source: str | Path | None = None) -> list[Any]:
    """Records of a public dataset read from ``source`` or the cache."""
    return load_public_with_files(name, source)[0]


def load_public_with_files(
    name: str, source: str | Path | None = None
) -> tuple[list[Any], list[ResolvedFile]]:
    spec = public_spec(name)
    files = resolve_files(spec.name, source)
    return spec.parse({f.key: f.path for f in files}), files


def fetch(
    name: str,
    *,
    force: bool = False,
    downloader: Callable[[str], bytes] | None = None,
    trust_unpinned: bool = False,
) -> list[Path]:
    """Fetch a public dataset into the cache (skips files already there unless ``force``)."""
    spec = public_spec(name)
    root = data_cache()
    out = []
    for f in spec.files:
        have = root / f.at.repo / f.at.path
        if have.exists() and not force:
            out.append(have)
            continue
        out.append(fetch_file(f, root, downloader=downloader, trust_unpinned=trust_unpinned))
    return out


def load_dataset(name: str, source: str | Path | None = None) -> list[Any]:
    """Records of any registered dataset: ``bundled/<name>`` or a public one."""
    if name.startswith("bundled/"):
        loader: Callable[[], list[Any]] = datasets.get(name)
        return loader()
    return load_public(name, source)
