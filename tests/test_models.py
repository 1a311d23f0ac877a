import pytest

from safetylab.errors import SafetylabError
from safetylab.models import convert_gguf, fingerprint, resolve_model_path


def test_corrupt_gguf_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(SafetylabError, match=r"cannot read model file .*model\.gguf"):
        convert_gguf(bad, tmp_path / "out")


def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(SafetylabError, match="no config.json"):
        resolve_model_path(str(tmp_path))


def test_pickled_weights_are_not_loaded(tmp_path, tokenizer):
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(SafetylabError, match="no \\*.safetensors weights"):
        fingerprint(tmp_path, tokenizer)


def test_fingerprint_covers_adapter_and_template(tmp_path, bundled_path, tokenizer):
    (tmp_path / "adapter_model.safetensors").write_bytes(b"x")
    a = fingerprint(bundled_path, tokenizer)
    b = fingerprint(bundled_path, tokenizer, tmp_path)
    assert a != b and len(a) == 20
    assert a == fingerprint(bundled_path, tokenizer)
