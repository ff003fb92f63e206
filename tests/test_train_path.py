"""The training path at device speed: DeviceLoader, fit/evaluate without per-step reads, loaders, warm-up by time."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from course_lib import compute as C
from course_lib.train import DeviceLoader, evaluate, fit, tensor_loaders

HIST_KEYS = {"train_loss", "train_acc", "val_loss", "val_acc", "seconds", "examples_per_s"}
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def separable(n: int = 200, seed: int = 0):
    """Two Gaussian blobs far apart: linearly separable, labels 0/1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)).astype(np.float32) * 0.3 + np.where(y[:, None] == 1, 2.0, -2.0)
    return X.astype(np.float32), y.astype(np.int64)


# ---------------------------------------------------------------------------------------------- DeviceLoader
@pytest.mark.parametrize("device", DEVICES)
def test_device_loader_covers_every_example_once_and_keeps_the_last_batch(device):
    X = torch.arange(103, dtype=torch.float32)[:, None].repeat(1, 3)
    y = torch.arange(103)
    loader = DeviceLoader(X, y, batch_size=10, device=device, seed=0)
    assert len(loader) == 11
    epochs = []
    for _ in range(2):
        batches = list(loader)
        assert [len(b[1]) for b in batches] == [10] * 10 + [3]
        for xb, yb in batches:
            assert xb.device.type == device and yb.device.type == device
            assert torch.equal(xb[:, 0].long(), yb)  # rows stay paired with their labels
        seen = torch.cat([yb for _, yb in batches]).cpu()
        assert sorted(seen.tolist()) == list(range(103))  # each example exactly once
        epochs.append(seen)
    assert not torch.equal(epochs[0], torch.arange(103))  # shuffled
    assert not torch.equal(epochs[0], epochs[1])  # a new order each epoch


def test_device_loader_without_shuffle_drop_last_and_seed():
    X, y = np.arange(10, dtype=np.float32)[:, None], np.arange(10)
    plain = DeviceLoader(X, y, batch_size=4, shuffle=False)
    assert [yb.tolist() for _, yb in plain] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    dropped = DeviceLoader(X, y, batch_size=4, shuffle=False, drop_last=True)
    assert len(dropped) == 2 and [len(yb) for _, yb in dropped] == [4, 4]
    a = [yb.tolist() for _, yb in DeviceLoader(X, y, batch_size=3, seed=5)]
    b = [yb.tolist() for _, yb in DeviceLoader(X, y, batch_size=3, seed=5)]
    assert a == b  # a seed makes the order reproducible
    torch.manual_seed(1)
    c = [yb.tolist() for _, yb in DeviceLoader(X, y, batch_size=3)]
    torch.manual_seed(1)
    d = [yb.tolist() for _, yb in DeviceLoader(X, y, batch_size=3)]
    assert c == d  # without a seed: the global torch RNG
    with pytest.raises(ValueError):
        DeviceLoader(X, y[:5])


# ---------------------------------------------------------------------------------------------- fit / evaluate
@pytest.mark.parametrize("device", DEVICES)
def test_fit_with_device_loaders_learns_and_keeps_the_history_keys(device):
    torch.manual_seed(0)
    X, y = separable()
    loaders = tensor_loaders(X, y, X, y, batch_size=32, device=device, seed=0)
    assert all(isinstance(ld, DeviceLoader) for ld in loaders)
    model = torch.nn.Linear(2, 2)
    hist = fit(model, loaders, torch.optim.SGD(model.parameters(), lr=0.5), epochs=4, device=device,
               progress=False)
    assert set(hist) == HIST_KEYS
    assert all(len(v) == 4 for v in hist.values())
    assert hist["train_acc"][-1] == 1.0 and hist["val_acc"][-1] == 1.0
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert all(v > 0 for v in hist["examples_per_s"]) and all(s > 0 for s in hist["seconds"])
    # the history is the mean over examples: evaluate agrees with a direct computation
    ev = evaluate(model, loaders[1], device=device)
    with torch.no_grad():
        out = model(torch.as_tensor(X, device=device))
        loss = torch.nn.functional.cross_entropy(out, torch.as_tensor(y, device=device)).item()
    assert ev["loss"] == pytest.approx(loss, rel=1e-4) and ev["accuracy"] == 1.0
    assert hist["val_loss"][-1] == pytest.approx(ev["loss"], rel=1e-6)


def test_fit_history_values_match_a_hand_computation():
    """One full-batch SGD step with lr=0: train_loss and train_acc are those of the initial model."""
    torch.manual_seed(0)
    X, y = separable(64)
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        out = model(torch.as_tensor(X))
        loss0 = torch.nn.functional.cross_entropy(out, torch.as_tensor(y)).item()
        acc0 = (out.argmax(1) == torch.as_tensor(y)).float().mean().item()
    loader = DeviceLoader(X, y, batch_size=10, seed=0)  # uneven batches: the mean must weight by batch size
    hist = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.0), epochs=1, device="cpu",
               progress=False)
    assert hist["train_loss"][0] == pytest.approx(loss0, rel=1e-5)
    assert hist["train_acc"][0] == pytest.approx(acc0)
    assert hist["val_loss"] == [] and hist["val_acc"] == []


class _CountReads:
    """Count every Tensor method that copies a value to the host (item, float(), int(), bool(), tolist, cpu)."""

    NAMES = ("item", "__float__", "__int__", "__bool__", "tolist", "cpu", "numpy")

    def __enter__(self):
        self.count, self.saved = 0, {}
        for name in self.NAMES:
            original = getattr(torch.Tensor, name)
            self.saved[name] = original

            def wrapper(t, *a, _orig=original, **k):
                self.count += 1
                return _orig(t, *a, **k)

            setattr(torch.Tensor, name, wrapper)
        return self

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            setattr(torch.Tensor, name, original)
        return False


def _reads_during_fit(n_examples: int, batch_size: int, device: str = "cpu") -> int:
    torch.manual_seed(0)
    X, y = separable(n_examples)
    loaders = tensor_loaders(X, y, X[:50], y[:50], batch_size=batch_size, device=device, seed=0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with _CountReads() as reads:
        fit(model, loaders, opt, epochs=2, device=device, progress=True)
    return reads.count


def test_fit_reads_device_values_once_per_epoch_not_per_step():
    few = _reads_during_fit(40, batch_size=20)  # 2 steps per epoch
    many = _reads_during_fit(400, batch_size=10)  # 40 steps per epoch
    assert few == many  # the number of host reads does not grow with the number of steps
    assert many <= 2 * 4  # per epoch: the train accumulators and the evaluation's


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_on_cuda_does_not_synchronise_per_step():
    def syncs(n: int, batch_size: int) -> int:
        torch.cuda.set_sync_debug_mode("warn")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _reads_during_fit(n, batch_size, device="cuda")
        finally:
            torch.cuda.set_sync_debug_mode("default")
        return sum("synchroniz" in str(w.message) for w in caught)

    syncs(40, 20)  # first CUDA use: context, cuBLAS
    assert syncs(40, 20) == syncs(800, 10)


# ---------------------------------------------------------------------------------------------- loaders
def _image_data(n_train: int = 70, n_test: int = 30):
    from course_lib.data.fashion_mnist import ImageData

    rng = np.random.default_rng(0)
    return ImageData(rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), np.arange(n_train) % 10,
                     rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), np.arange(n_test) % 10,
                     source="synthetic", classes=tuple(str(i) for i in range(10)))


def test_image_loaders_use_device_loaders_when_given_a_device():
    from course_lib.cnn import AugmentedLoader, image_loaders

    data = _image_data()
    train, test = image_loaders(data, batch_size=16, device="cpu")
    assert isinstance(train, DeviceLoader) and isinstance(test, DeviceLoader)
    assert len(train) == 5 and len(test) == 1
    xb, yb = next(iter(train))
    assert xb.shape == (16, 1, 28, 28) and xb.dtype == torch.float32 and float(xb.max()) <= 1.0
    assert sorted(torch.cat([b for _, b in train]).tolist()) == sorted(data.y_train.tolist())
    train, test = image_loaders(data, 40, 20, batch_size=16)  # no device: DataLoaders as before
    assert isinstance(train, DataLoader) and isinstance(test, DataLoader)
    assert len(train.dataset) == 40 and len(test.dataset) == 20
    aug, _ = image_loaders(data, batch_size=16, augment=True, device="cpu")
    assert isinstance(aug, AugmentedLoader)
    assert sorted(torch.cat([b for _, b in aug]).tolist()) == sorted(data.y_train.tolist())


def test_tensor_loaders_without_device_stay_dataloaders():
    X, y = separable(50)
    train = tensor_loaders(X, y, batch_size=8)
    assert isinstance(train, DataLoader) and len(train) == 7
    train, val = tensor_loaders(X, y, X, y, batch_size=8, device="cpu")
    assert isinstance(train, DeviceLoader) and isinstance(val, DeviceLoader) and len(val) == 1
    assert train.X.dtype == torch.float32


# ---------------------------------------------------------------------------------------------- warm-up by time
@pytest.mark.serial  # asserts on wall-clock time
def test_warm_up_stops_at_its_cap_when_timings_never_agree():
    state = {"i": 0}

    def jittery():  # alternates 1 ms and 20 ms: never steady
        state["i"] += 1
        time.sleep(0.001 if state["i"] % 2 else 0.02)

    t0 = time.perf_counter()
    w = C.warm_up(jittery, "cpu", min_seconds=0.0, max_seconds=0.2, chunk_seconds=0.0)
    took = time.perf_counter() - t0
    assert not w["steady"]
    assert 0.2 <= w["seconds"] and took < 0.2 + 0.3  # the cap plus at most one short chunk (and a busy box)


@pytest.mark.serial  # asserts on wall-clock time
def test_warm_up_stops_early_when_steady_and_respects_its_minimum():
    w = C.warm_up(lambda: time.sleep(0.002), "cpu", min_seconds=0.0, max_seconds=5.0, tol=0.5)
    assert w["steady"] and w["seconds"] < 1.0 and w["calls"] >= 3
    w = C.warm_up(lambda: time.sleep(0.002), "cpu", min_seconds=0.15, max_seconds=5.0, tol=0.5)
    assert w["seconds"] >= 0.15 and w["seconds"] < 1.5


@pytest.mark.serial  # asserts on wall-clock time
def test_benchmark_matmul_on_cpu_warms_up_quickly_and_reports_it():
    t0 = time.perf_counter()
    rows = C.benchmark_matmul("cpu", "fp32", sizes=(64, 256), repeats=3)
    assert time.perf_counter() - t0 < 10.0
    for r in rows:
        # the CPU cap is 0.3 s; one ~10 ms chunk may overrun it, by a lot when a shared box is throttled
        assert r["warmup_calls"] >= 2 and r["warmup_s"] <= 2.0
        assert isinstance(r["warmup_steady"], bool)
