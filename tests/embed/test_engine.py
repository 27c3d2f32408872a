"""hark embed's engines (hark.embed.engine): onnxruntime gives torch's rows, two chunks in flight
give the serial rows, the export is cached and rebuilt, and a layer that cannot be exported is refused."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from hark.audio import open_recording
from hark.cli.app import main
from hark.demo.generate import write_wav
from hark.embed.engine import cached_export, choose_engine, engine_for_chunks, export_paths
from hark.embed.index import EmbedParams, embed_corpus, load_embedder
from hark.errors import HarkError
from hark.models import Architecture, FrameModel, architectures, build_model, register_architecture
from hark.models.store import ModelConfig, list_checkpoints, save_checkpoint, save_config
from hark.params import Params

RATE = 8000
# 7.3 s and 13 samples: neither the recording nor its rows are a multiple of any chunk below
ODD_SAMPLES = round(7.3 * RATE) + 13


def save_random_model(folder, architecture: str, params: dict, seed: int = 0):
    """A model folder of ``architecture`` with random weights (seeded) and one checkpoint."""
    torch.manual_seed(seed)
    module = build_model(architecture, params, RATE, 2)
    save_config(folder, ModelConfig(architecture=architecture, architecture_params=params, kind="frame", samplerate=RATE,
                                    output_names=["call", "ambient"], labels=["call", "ambient"], context=module.context, stride=module.stride))  # fmt: skip
    save_checkpoint(folder, 1, {"model": module.state_dict()})
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    params = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 64.0}
    return save_random_model(tmp_path_factory.mktemp("engine") / "model", "convnet", params)


@pytest.fixture(scope="module")
def odd_recording(tmp_path_factory):
    """Noise with upward sweeps every second, ODD_SAMPLES long."""
    rng = np.random.default_rng(3)
    t = np.arange(ODD_SAMPLES) / RATE
    sweeps = np.sin(2 * np.pi * (500 + 1500 * (t % 1.0)) * t) * ((t % 1.0) < 0.3)
    path = tmp_path_factory.mktemp("audio") / "odd.wav"
    write_wav(path, (0.3 * sweeps + 0.05 * rng.standard_normal(ODD_SAMPLES)).astype(np.float32), RATE)
    return path


def all_rows(embedder, recording, in_flight: int = 1) -> tuple[list[int], np.ndarray]:
    """The rows of the whole recording, and the length of each chunk's block."""
    audio = open_recording(recording).read()
    blocks = list(embedder.rows_of(lambda lo, hi: audio[lo:hi], 0, embedder.row_count(len(audio)), in_flight))
    return [len(b) for b in blocks], np.concatenate(blocks)


def small_chunks(embedder):
    """The embedder with chunks of 7 rows, so that a few seconds make many chunks."""
    return replace(embedder, chunk_frames=embedder.window_frames + 6 * embedder.hop_frames)


def test_onnx_rows_equal_torch_rows(tiny_model, odd_recording, tmp_path):
    for cached in tiny_model.glob("embedding-*"):  # whatever test ran first
        cached.unlink()
    embedder = load_embedder(tiny_model, EmbedParams(hop_s=0.016, window_s=0.048))
    onnx, why = choose_engine(embedder, "onnx", 0)
    assert onnx.name == "onnx" and why == "exported now, checked against torch"
    _, torch_rows = all_rows(embedder, odd_recording)
    _, onnx_rows = all_rows(replace(embedder, engine=onnx), odd_recording)
    assert torch_rows.shape == (embedder.row_count(ODD_SAMPLES), embedder.dims) and np.ptp(torch_rows) > 0.1
    np.testing.assert_allclose(onnx_rows, torch_rows, atol=1e-4)
    # the whole command: the same index either way, and its log says which engine ran
    indexes = {name: embed_corpus(tiny_model, [odd_recording], tmp_path / name, EmbedParams(engine=name, dtype="float32")) for name in ("torch", "onnx")}
    np.testing.assert_allclose(np.asarray(indexes["onnx"].vectors()), np.asarray(indexes["torch"].vectors()), atol=1e-4)
    assert "engine onnx (its cached export)" in (tmp_path / "onnx" / "embed.log").read_text()
    assert "engine torch (asked for)" in (tmp_path / "torch" / "embed.log").read_text()


@pytest.mark.parametrize("which", ["torch", "onnx"])
def test_two_chunks_in_flight_give_the_serial_rows_exactly(which, tiny_model, odd_recording):
    embedder = small_chunks(load_embedder(tiny_model, EmbedParams(hop_s=0.016, window_s=0.048)))
    engine, _ = choose_engine(embedder, which, 0)
    with engine_for_chunks(engine, 2, threads=2) as shared:  # as embed_corpus runs it: a thread each
        embedder = replace(embedder, engine=shared)
        serial_blocks, serial = all_rows(embedder, odd_recording, 1)
        parallel_blocks, parallel = all_rows(embedder, odd_recording, 2)
        three_blocks, three = all_rows(embedder, odd_recording, 3)
    assert len(serial_blocks) > 20 and serial_blocks[-1] < serial_blocks[0]  # a short last chunk
    assert parallel_blocks == serial_blocks == three_blocks
    np.testing.assert_array_equal(parallel, serial)
    np.testing.assert_array_equal(three, serial)
    # and chunked rows are those of one pass over the whole recording
    _, whole = all_rows(replace(embedder, chunk_frames=10**6), odd_recording)
    np.testing.assert_allclose(serial, whole, atol=1e-5)


def test_the_export_is_reused_and_rebuilt_when_the_checkpoint_changes(tiny_model, odd_recording, tmp_path):
    model = shutil.copytree(tiny_model, tmp_path / "model")
    for path in model.glob("embedding-*"):
        path.unlink()
    embedder = load_embedder(model, EmbedParams())
    onnx_path, info_path = export_paths(model, embedder.layer)
    assert choose_engine(embedder, "onnx", 0)[1] == "exported now, checked against torch"
    written = onnx_path.stat().st_mtime_ns
    assert choose_engine(load_embedder(model, EmbedParams()), "onnx", 0)[1] == "its cached export"
    assert onnx_path.stat().st_mtime_ns == written
    # auto, long enough work: times both engines once, records it, then follows the record
    engine, why = choose_engine(embedder, "auto", 10**9, min_samples=0)
    timing = json.loads(info_path.read_text())["timing"]
    assert onnx_path.stat().st_mtime_ns == written and timing["torch_s"] > 0 and timing["onnx_s"] > 0
    assert engine.name == ("onnx" if timing["onnx_s"] < timing["torch_s"] else "torch") and "the speed of torch" in why
    for onnx_s, expected in ((timing["torch_s"] * 2, "torch"), (timing["torch_s"] / 2, "onnx")):
        info_path.write_text(json.dumps({**json.loads(info_path.read_text()), "timing": {**timing, "onnx_s": onnx_s}}))
        assert choose_engine(embedder, "auto", 10**9, min_samples=0)[0].name == expected
    # short work with no export embeds with torch, and exports nothing
    for path in (onnx_path, info_path):
        path.unlink()
    assert choose_engine(embedder, "auto", 1000)[0].name == "torch" and not onnx_path.exists()
    choose_engine(embedder, "onnx", 0)
    # the checkpoint changes (training went on): the export is stale, and exported again from it
    [(_, checkpoint)] = list_checkpoints(model)
    state = torch.load(checkpoint, weights_only=True)
    first = next(name for name in state["model"] if name.endswith("weight"))
    state["model"][first] = state["model"][first] * 1.5
    torch.save(state, checkpoint)
    changed = load_embedder(model, EmbedParams())
    assert cached_export(model, changed) is None
    written = onnx_path.stat().st_mtime_ns
    engine, why = choose_engine(changed, "onnx", 0)
    assert why == "exported now, checked against torch" and onnx_path.stat().st_mtime_ns != written
    assert json.loads(info_path.read_text())["made_from"]["checkpoint_sha256"] == changed.fingerprint["checkpoint_sha256"]
    _, new_rows = all_rows(changed, odd_recording)
    _, old_rows = all_rows(embedder, odd_recording)
    np.testing.assert_allclose(all_rows(replace(changed, engine=engine), odd_recording)[1], new_rows, atol=1e-4)
    assert np.abs(new_rows - old_rows).max() > 1e-2  # the new export follows the new weights


@pytest.mark.parametrize("architecture", [name for name in architectures.names() if architectures.get(name).kind == "frame"])
def test_every_frame_architecture_embeds_alike_with_either_engine(architecture, odd_recording, tmp_path):
    """The contract over every registered frame architecture that hark embed accepts."""
    model = save_random_model(tmp_path / architecture, architecture, {})
    try:
        embedder = load_embedder(model, EmbedParams())
    except HarkError as err:  # one that reads a movie, or holds no hidden layer of its own
        assert "embedding needs a frame model with hidden layers" in str(err)
        pytest.skip(str(err))
    onnx, _ = choose_engine(embedder, "onnx", 0)
    frames = embedder.window_frames + 3 * embedder.hop_frames  # at least four rows
    audio = open_recording(odd_recording).read(0, embedder.context + (frames + 1) * embedder.stride)
    n_rows = embedder.row_count(len(audio))
    rows = {name: np.concatenate(list(replace(embedder, engine=engine).rows_of(lambda lo, hi: audio[lo:hi], 0, n_rows)))
            for name, engine in (("torch", embedder.engine), ("onnx", onnx))}  # fmt: skip
    assert rows["torch"].shape == (n_rows, embedder.dims) and n_rows >= 4
    np.testing.assert_allclose(rows["onnx"], rows["torch"], atol=1e-4)


class BakedParams(Params):
    pass


class BakedMeanModel(FrameModel):
    """A layer scaled by its own mean as a Python number: the tracer bakes the example's mean into
    the export, so onnxruntime disagrees with torch on any other audio."""

    def __init__(self, n_outputs: int):
        super().__init__()
        self.context = self.stride = 16
        self.n_outputs = n_outputs
        self.conv = nn.Conv1d(1, 4, 16, stride=16)
        self.out = nn.Conv1d(4, n_outputs, 1)

    def hidden_layers(self) -> list[str]:
        return ["features", "output"]

    def forward_hidden(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        x = torch.relu(self.conv(audio))
        x = x * (1.0 + float(x.detach().mean()))
        return {"features": x, "output": self.out(x)}

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.forward_hidden(audio)["output"]


class BakedMean(Architecture):
    kind = "frame"
    Params = BakedParams

    @classmethod
    def build(cls, params, samplerate, n_outputs):
        return BakedMeanModel(n_outputs)


@pytest.fixture
def baked_model(tmp_path):
    register_architecture("test-baked-mean")(BakedMean)
    yield save_random_model(tmp_path / "baked", "test-baked-mean", {})
    architectures._items.pop("test-baked-mean", None)


def test_onnx_on_a_layer_that_cannot_be_exported_is_one_line_and_auto_falls_back(baked_model, odd_recording, tmp_path, capsys):
    out = tmp_path / "index"
    with pytest.raises(HarkError, match="disagrees with torch") as caught:
        embed_corpus(baked_model, [odd_recording], out, EmbedParams(engine="onnx"))
    assert len(str(caught.value).splitlines()) == 1 and not out.exists()
    assert cached_export(baked_model, load_embedder(baked_model, EmbedParams())) is None
    capsys.readouterr()
    assert main(["embed", "--model", str(baked_model), "--out", str(out), "--engine", "onnx", "--no-progress", str(odd_recording)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("hark: error: ") and "use --engine torch" in err, err
    assert not out.exists()
    # auto embeds it with torch and says why
    index = embed_corpus(baked_model, [odd_recording], out, auto_export_samples=0)
    assert index.manifest["rows"] > 0 and "engine torch (the layer could not be exported" in (out / "embed.log").read_text()
