"""Model folders as real repos lay them out: every file a tokenizer needs survives the download and the
folder check knows when one is missing; components with no weights (schedulers, processors) pass; and
a repo is found in the Hugging Face cache whatever its casing or its organisation's name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import httpx2
import pytest
from huggingface_hub.errors import RepositoryNotFoundError

from studio.engine.cards import find_weights, load_cards, resolve
from studio.engine.download import RemoteFile, download, plan_download, select_files
from studio.engine.weights import ModelFolderError, check_folder, find_in_hf_cache
from studio.testing.tiny.expander import save_chat_tokenizer

HUNYUAN_INDEX = {"_class_name": "HunyuanVideo15Pipeline", "tokenizer": ["transformers", "Qwen2Tokenizer"]}
# What other tokenizers and processors bring, and what must never come.
EXTRA = {
    "tokenizer/additional_chat_templates/tool_use.jinja": b"{{ messages }}",
    "tokenizer/special_tokens_map.json": b"{}",
    "tokenizer/added_tokens.json": b"{}",
    "tokenizer/vocab.json": b"{}",
    "tokenizer/merges.txt": b"#version: 0.2",
    "tokenizer/tokenizer.model": b"sentencepiece",
    "tokenizer/spiece.model": b"sentencepiece",
    "tokenizer/preprocessor_config.json": b"{}",
    "tokenizer/processor_config.json": b"{}",
}
NEVER = {
    "tokenizer/pytorch_model.bin": b"pickle",
    "tokenizer/weights.pt": b"pickle",
    "tokenizer/weights.pth": b"pickle",
    "tokenizer/model.ckpt": b"pickle",
    "tokenizer/tokenization_qwen.py": b"import os",
    "tokenizer/nested/chat_template.jinja": b"not a place transformers looks",
    "model.py": b"import os",
}


@pytest.fixture(scope="module")
def chat_tokenizer(tmp_path_factory) -> Path:
    """A folder with only HunyuanVideo 1.5's tokenizer, as this transformers saves it."""
    folder = tmp_path_factory.mktemp("hub")
    save_chat_tokenizer(folder / "tokenizer")
    (folder / "model_index.json").write_text(json.dumps(HUNYUAN_INDEX))
    return folder


class Hub:
    """The two HfApi calls a download makes, over a dict of files; repos it does not hold are not found."""

    def __init__(self, files: dict[str, bytes], repo: str) -> None:
        self.files, self.repo = files, repo

    def list_repo_tree(self, repo, recursive=False, revision=None):
        if repo != self.repo:
            url = f"https://huggingface.co/api/models/{repo}/tree/main"
            raise RepositoryNotFoundError("404", response=httpx2.Response(404, request=httpx2.Request("GET", url)))
        yield from (SimpleNamespace(path=p, size=len(data)) for p, data in self.files.items())

    def hf_hub_download(self, repo, filename, revision=None, local_dir=None):
        assert repo == self.repo
        target = Path(local_dir) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.files[filename])
        return str(target)


def _card(repo: str):
    """What plan_download reads of a card."""
    return SimpleNamespace(id="chat", repo=repo, revision=None, multiscale={})  # a one-pass card


def test_a_tokenizers_chat_template_survives_the_download_and_loads(chat_tokenizer, tmp_path):
    files = {p.relative_to(chat_tokenizer).as_posix(): p.read_bytes() for p in chat_tokenizer.rglob("*") if p.is_file()}
    assert "tokenizer/chat_template.jinja" in files  # this transformers writes the template nowhere else
    hub = Hub(files | EXTRA | NEVER, "studio/chat")
    plan = plan_download(_card("studio/chat"), tmp_path, hub)
    taken = {f.path for f in plan.files}
    assert taken == set(files) | set(EXTRA)
    folder = download(plan, hub)  # and the folder check passes

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder / "tokenizer")
    text = tokenizer.apply_chat_template([{"role": "user", "content": "a red fox"}], tokenize=False)
    assert text == "<|im_start|>user\na red fox<|im_end|>\n"


def test_a_tokenizer_without_the_chat_template_its_pipeline_needs_is_incomplete(chat_tokenizer, tmp_path):
    folder = shutil.copytree(chat_tokenizer, tmp_path / "model")
    template = (folder / "tokenizer" / "chat_template.jinja").read_text()
    (folder / "tokenizer" / "chat_template.jinja").unlink()
    with pytest.raises(ModelFolderError, match="incomplete: tokenizer/chat_template.jinja is missing"):
        check_folder(folder)
    # transformers 4.4x kept the template in tokenizer_config.json: that is whole too.
    config = json.loads((folder / "tokenizer" / "tokenizer_config.json").read_text())
    (folder / "tokenizer" / "tokenizer_config.json").write_text(json.dumps(config | {"chat_template": template}))
    check_folder(folder)
    # A pipeline that formats no chat asks for no template.
    (folder / "model_index.json").write_text(json.dumps(HUNYUAN_INDEX | {"_class_name": "WanPipeline"}))
    (folder / "tokenizer" / "tokenizer_config.json").write_text(json.dumps(config))
    check_folder(folder)


def test_a_tokenizer_missing_its_vocabulary_or_with_a_damaged_one_is_refused(chat_tokenizer, tmp_path):
    folder = shutil.copytree(chat_tokenizer, tmp_path / "model")
    tokenizer_json = folder / "tokenizer" / "tokenizer.json"
    tokenizer_json.write_text(tokenizer_json.read_text()[:500])  # cut short, as by a broken copy
    with pytest.raises(ModelFolderError, match="tokenizer.json is damaged"):
        check_folder(folder)
    tokenizer_json.unlink()  # a BPE tokenizer with neither tokenizer.json nor vocab.json + merges.txt
    with pytest.raises(ModelFolderError, match="incomplete: tokenizer/ has neither tokenizer.json nor vocab.json"):
        check_folder(folder)
    (folder / "tokenizer" / "vocab.json").write_text("{}")
    (folder / "tokenizer" / "merges.txt").write_text("#version: 0.2\n")
    check_folder(folder)

    # A sentencepiece tokenizer (T5) without its .model, then with it.
    t5 = tmp_path / "t5"
    (t5 / "tokenizer").mkdir(parents=True)
    (t5 / "model_index.json").write_text(
        json.dumps({"_class_name": "WanPipeline", "tokenizer": ["transformers", "T5TokenizerFast"]})
    )
    (t5 / "tokenizer" / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "T5Tokenizer"}))
    with pytest.raises(ModelFolderError, match="incomplete: tokenizer/ has neither tokenizer.json nor spiece.model"):
        check_folder(t5)
    (t5 / "tokenizer" / "spiece.model").write_bytes(b"sentencepiece")
    check_folder(t5)


def test_components_without_weights_pass_by_their_kind(tmp_path):
    """LTX-2's optional audio_scheduler and processor (a Gemma3Processor), HunyuanVideo 1.5's guider:
    a config, no weights."""
    index = {
        "_class_name": "LTX2ConditionPipeline",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "audio_scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "guider": ["diffusers", "ClassifierFreeGuidance"],
        "processor": ["transformers", "Gemma3Processor"],
        "feature_extractor": ["transformers", "SiglipImageProcessor"],
        "transformer": ["diffusers", "LTX2VideoTransformer3DModel"],
        "prompt_enhancer": [None, None],
    }
    (tmp_path / "model_index.json").write_text(json.dumps(index))
    for path in (
        "scheduler/scheduler_config.json",
        "audio_scheduler/scheduler_config.json",
        "guider/guider_config.json",
        "processor/processor_config.json",
        "processor/tokenizer_config.json",
        "feature_extractor/preprocessor_config.json",
        "transformer/config.json",
    ):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text(json.dumps({"tokenizer_class": "GemmaTokenizer"}))
    (tmp_path / "processor" / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}}))
    (tmp_path / "transformer" / "diffusion_pytorch_model.safetensors").write_bytes(b"weights")
    check_folder(tmp_path)

    (tmp_path / "audio_scheduler" / "scheduler_config.json").unlink()
    with pytest.raises(ModelFolderError, match="incomplete: audio_scheduler/scheduler_config.json is missing"):
        check_folder(tmp_path)


def _cached(cache: Path, folder_name: str) -> Path:
    """A repo in a Hugging Face cache, as huggingface_hub lays it out: models--Org--Name/snapshots/<rev>/."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / folder_name / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "model_index.json").write_text("{}")
    (cache / folder_name / "refs").mkdir()
    (cache / folder_name / "refs" / "main").write_text(commit)
    return snapshot


def test_the_cache_is_searched_in_any_casing_and_under_a_renamed_organisation(tmp_path, monkeypatch):
    cache = tmp_path / "hf"
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    empty = tmp_path / "models"
    flf2v = _cached(cache, "models--Wan-AI--Wan2.1-FLF2V-14B-720P-Diffusers")  # fetched by the old spelling
    cogvideox = _cached(cache, "models--zai-org--CogVideoX-5b")  # fetched by the new organisation
    cards = load_cards()
    assert cards["wan-2.1-flf2v-14b-720p"].repo == "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers"  # as on the Hub
    assert find_weights(cards["wan-2.1-flf2v-14b-720p"], empty) == flf2v
    assert find_weights(cards["cogvideox-5b"], empty) == cogvideox
    assert find_in_hf_cache("THUDM/CogVideoX-5B") == cogvideox
    assert find_in_hf_cache("THUDM/CogVideoX-2b") is None
    assert resolve("zai-org/CogVideoX-5b", models_dir=empty).card.id == "cogvideox-5b"
    assert resolve("wan-ai/wan2.1-flf2v-14b-720p-diffusers", models_dir=empty).folder == flf2v


def test_a_download_follows_a_renamed_organisation(chat_tokenizer, tmp_path):
    files = {p.relative_to(chat_tokenizer).as_posix(): p.read_bytes() for p in chat_tokenizer.rglob("*") if p.is_file()}
    hub = Hub(files, "zai-org/CogVideoX-5b")  # the old name is no longer known to this Hub
    plan = plan_download(_card("THUDM/CogVideoX-5b"), tmp_path, hub)
    assert plan.repo == "zai-org/CogVideoX-5b"
    assert download(plan, hub) == tmp_path / "chat"


def test_select_files_keeps_only_a_components_own_files():
    tree = [
        RemoteFile(p, 1)
        for p in (
            "model_index.json",
            "tokenizer/chat_template.jinja",
            "other/x.jinja",
            "tokenizer/a/b/c.jinja",
            "tokenizer/additional_chat_templates/t.jinja",
        )
    ]
    chosen = {f.path for f in select_files(tree, HUNYUAN_INDEX)}
    assert chosen == {
        "model_index.json",
        "tokenizer/chat_template.jinja",
        "tokenizer/additional_chat_templates/t.jinja",
    }
