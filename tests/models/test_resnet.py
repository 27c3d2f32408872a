import pytest
import torch

from hark.models import ResNetParams, build_model, count_parameters
from tests.models.helpers import calibrate, make_audio

WHALE_RATE = 2000


def test_default_reads_whale_clips_from_0_to_1000_hz():
    model = build_model("resnet", {}, WHALE_RATE, 2)
    assert model.front_end.frequencies[0] == 0 and model.front_end.frequencies[-1] == 1000
    assert model.min_samples == 256
    assert count_parameters(model) < 50_000


@pytest.mark.parametrize("n_samples", [256, 1999, 4000, 6001])
def test_any_clip_length_gives_one_row_of_logits(n_samples):
    model = build_model("resnet", {}, WHALE_RATE, 3).eval()
    with torch.no_grad():
        assert model(make_audio(n_samples, batch=2)).shape == (2, 3)


def test_embedding_is_the_pooled_last_stage():
    model = build_model("resnet", {"channels": "4,8", "blocks_per_stage": 2}, WHALE_RATE, 3).eval()
    assert len(model.blocks) == 4
    with torch.no_grad():
        assert model.embed(make_audio(4000)).shape == (2, 8)


def test_logits_do_not_depend_on_the_batch_in_eval_mode():
    model = build_model("resnet", {}, WHALE_RATE, 2)
    x = make_audio(4000, batch=4)
    calibrate(model, x)
    with torch.no_grad():
        together = model(x)
        alone = torch.cat([model(x[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)


def test_trains_end_to_end():
    model = build_model("resnet", {"channels": [4, 8]}, WHALE_RATE, 2)
    loss = torch.nn.functional.cross_entropy(model(make_audio(4000, batch=4)), torch.tensor([0, 1, 0, 1]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_channels_accept_a_comma_list():
    assert ResNetParams.model_validate({"channels": "16,32"}).channels == (16, 32)
