"""Learning-rate schedules, early stopping and averaged weights: known answers on tiny models."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from hark.errors import HarkError
from hark.models.store import list_checkpoints, read_checkpoint
from hark.train.callbacks import Callback
from hark.train.data_types import Batch, ExampleRef, Window
from hark.train.params import TrainParams
from hark.train.schedules import LearningRateSchedule, WeightAverage, refresh_batch_norm
from hark.train.trainer import Objective, Trainer

LR = 0.01


def _rates(**values) -> list[float]:
    """The learning rate each step of a run of ``values`` trains with."""
    params = TrainParams(learning_rate=LR, **values)
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR)
    schedule = LearningRateSchedule(optimizer, params)
    rates = []
    for _ in range(params.steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.after_step()
    return rates + [optimizer.param_groups[0]["lr"]]  # and what a further step would use


def test_cosine_falls_from_the_learning_rate_to_zero_at_the_last_step():
    steps = 50
    rates = _rates(steps=steps, lr_schedule="cosine")
    expected = [LR * (1 + math.cos(math.pi * k / steps)) / 2 for k in range(steps + 1)]
    assert np.allclose(rates, expected, rtol=1e-9, atol=1e-12)
    assert rates[0] == LR and rates[-1] < 1e-12 and rates[-2] < LR * 1e-3
    warm = _rates(steps=steps, lr_schedule="cosine", warmup_steps=10)
    rising = [LR * (k + 1) / 11 for k in range(10)]
    falling = [LR * (1 + math.cos(math.pi * k / 40)) / 2 for k in range(41)]
    assert np.allclose(warm, rising + falling, rtol=1e-9, atol=1e-12)


def test_constant_keeps_the_learning_rate_after_its_warmup():
    assert _rates(steps=20) == [LR] * 21
    rates = _rates(steps=20, warmup_steps=4)
    assert np.allclose(rates[:5], [LR * (k + 1) / 5 for k in range(5)]) and np.allclose(rates[5:], LR)


@pytest.mark.parametrize(("warmup", "peak"), [(20, 19), (0, 29)])
def test_one_cycle_peaks_at_the_end_of_its_rise(warmup, peak):
    rates = _rates(steps=100, lr_schedule="one-cycle", warmup_steps=warmup)[:100]  # those of the 100 steps
    assert int(np.argmax(rates)) == peak and rates[peak] == pytest.approx(LR)
    assert rates[0] == pytest.approx(LR / 25) and rates[-1] == pytest.approx(LR / 25 / 1e4)
    assert all(a < b for a, b in zip(rates[:peak], rates[1 : peak + 1]))
    assert all(a > b for a, b in zip(rates[peak:], rates[peak + 1 :]))


def test_warmup_must_end_before_the_last_step():
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainParams(steps=10, warmup_steps=10)


# -- a real trainer on data whose validation loss the test sets -------------------------------


class SetLossData:
    """Examples of silence; the model's answer is its bias (it prefers class 0). Validation
    ``k`` labels ``fractions[k]`` of its examples 0, so its loss is ``CE(1) - fractions[k]``:
    each validation's loss is set by the test (training moves the bias too little to matter)."""

    def __init__(self, fractions: list[float]):
        self.fractions = fractions
        self.validations = 0

    def training_batch(self, rng, batch_size, window):
        y = rng.integers(0, 2, batch_size)
        return Batch(np.zeros((batch_size, 4), np.float32), y, None, [ExampleRef("a", 0, "x")] * batch_size)

    def validation_batches(self, batch_size, window):
        fraction = self.fractions[min(self.validations, len(self.fractions) - 1)]
        self.validations += 1
        y = (np.arange(100) >= round(fraction * 100)).astype(np.int64)
        yield Batch(np.zeros((100, 4), np.float32), y, None, [ExampleRef("a", i, "x") for i in range(100)])


class RateRecorder(Callback):
    def __init__(self):
        self.rates, self.losses = [], []

    def on_validation_end(self, trainer, result) -> None:
        self.rates.append(trainer.optimizer.param_groups[0]["lr"])
        self.losses.append(result.loss)


def _trainer(folder, data, callbacks=(), **values):
    module = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        module[1].weight.zero_()
        module[1].bias.copy_(torch.tensor([1.0, 0.0]))
    params = TrainParams(optimizer="sgd", learning_rate=1e-6, batch_size=8, validation_period=5, threads=1, device="cpu", **values)
    return Trainer(module, data, Window(4), params, folder, Objective(overlapped=False, dense=False), list(callbacks))


def test_plateau_lowers_the_rate_after_patience_validations_without_improvement(tmp_path):
    recorder = RateRecorder()
    data = SetLossData([0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])  # improves at the 2nd validation, never after
    trainer = _trainer(tmp_path, data, [recorder], steps=35, lr_schedule="plateau", plateau_patience=2, plateau_factor=0.5)
    trainer.fit()
    assert np.allclose(np.diff(recorder.losses), [-0.1, 0, 0, 0, 0, 0], atol=1e-4)  # the losses are the test's
    lr = 1e-6
    assert recorder.rates == pytest.approx([lr, lr, lr, lr / 2, lr / 2, lr / 4, lr / 4], rel=1e-12)


def test_early_stopping_stops_after_patience_validations_and_keeps_the_best_checkpoint(tmp_path):
    data = SetLossData([0.5, 0.7, 0.6, 0.65, 0.69, 0.9])  # best at the 2nd validation (step 10)
    trainer = _trainer(tmp_path, data, steps=100, early_stopping_patience=3)
    assert trainer.fit() == 25  # three validations (15, 20, 25) without improvement
    assert [s for s, _ in list_checkpoints(tmp_path)] == [5, 10, 15, 20, 25]
    state = read_checkpoint(list_checkpoints(tmp_path)[-1][1])["early_stopping"]
    assert state["stopped"] and state["best_step"] == 10 and state["bad_validations"] == 3
    # resumed, a run that stopped stays stopped
    again = _trainer(tmp_path, data, steps=100, early_stopping_patience=3)
    assert again.resume() == 25 and again.fit() == 25 and len(list_checkpoints(tmp_path)) == 5
    assert data.validations == 5


@pytest.mark.parametrize("planned", [{"lr_schedule": "cosine"}, {"lr_schedule": "one-cycle"}, {"weight_averaging": "swa"}])
def test_a_schedule_planned_for_other_steps_is_not_resumed(tmp_path, planned):
    _trainer(tmp_path, SetLossData([0.5]), steps=10, **planned).fit()
    longer = _trainer(tmp_path, SetLossData([0.5]), steps=20, **planned)
    with pytest.raises(HarkError, match="planned for 10 steps, not steps 20; give another out_dir folder"):
        longer.resume()
    # the others may train longer
    _trainer(tmp_path / "ema", SetLossData([0.5]), steps=10, weight_averaging="ema", lr_schedule="plateau").fit()
    resumed = _trainer(tmp_path / "ema", SetLossData([0.5]), steps=20, weight_averaging="ema", lr_schedule="plateau")
    assert resumed.resume() == 10 and resumed.fit() == 20


# -- averaged weights ---------------------------------------------------------------------------


def _tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _trajectory(net, average, steps=12):
    """Train ``net`` with SGD, averaging after each step; the weights and buffers after each step."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(1)
    seen = []
    for step in range(1, steps + 1):
        x = torch.randn(16, 3, generator=generator) * 2 + 1
        loss = net(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        average.after_step(net, step)
        seen.append({k: v.detach().clone().double() for k, v in net.state_dict().items()})
    return seen


def test_ema_weights_are_the_moving_average_of_the_trajectory():
    net = _tiny_net()
    average = WeightAverage(net, TrainParams(weight_averaging="ema", ema_decay=0.8))
    seen = _trajectory(net, average)
    expected = dict(seen[0])
    for weights in seen[1:]:
        expected = {k: 0.8 * expected[k] + 0.2 * weights[k] for k in expected}
    got = average.evaluated(net).state_dict()
    for name in ("0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"):
        assert torch.allclose(got[name].double(), expected[name], rtol=1e-5, atol=1e-6), name
    assert not torch.allclose(got["0.weight"].double(), seen[-1]["0.weight"])  # not simply the last weights
    assert average.needs_batch_norm_refresh  # batch-norm statistics are recomputed for the average, not averaged


def test_swa_averages_the_weights_after_its_start_and_recomputes_batch_norm_statistics():
    net = _tiny_net()
    average = WeightAverage(net, TrainParams(steps=12, weight_averaging="swa", swa_start=0.5))
    assert average.evaluated(net) is net  # before its start the trained weights are used
    seen = _trajectory(net, average)
    assert average.count == 6
    mean = sum(w["0.weight"] for w in seen[6:]) / 6
    averaged = average.evaluated(net)
    assert torch.allclose(averaged.state_dict()["0.weight"].double(), mean, rtol=1e-5, atol=1e-6)
    assert average.needs_batch_norm_refresh
    inputs = [torch.randn(16, 3, generator=torch.Generator().manual_seed(i)) * 2 + 1 for i in range(3)]
    before = torch.get_rng_state()
    refresh_batch_norm(averaged, inputs, lambda module, x: module(x))
    assert torch.equal(torch.get_rng_state(), before)
    hidden = averaged[0](torch.cat(inputs)).detach()  # what the batch norm sees, all batches together
    norm = averaged[1]
    assert torch.allclose(norm.running_mean, hidden.mean(dim=0), atol=1e-5)
    # the cumulative mean of each batch's unbiased variance, as torch's update_bn computes it
    variances = torch.stack([averaged[0](x).detach().var(dim=0) for x in inputs]).mean(dim=0)
    assert torch.allclose(norm.running_var, variances, atol=1e-5)
