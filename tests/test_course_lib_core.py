"""course_lib core: cheap import, device choice, seeding, quick-mode sizes, synthetic data, plots, training loop."""

import subprocess
import sys

import numpy as np
import pytest

from course_lib import data, device, runtime


def test_import_is_light():
    code = "import sys, course_lib; heavy = [m for m in ('torch', 'matplotlib', 'sklearn', 'ipywidgets') " \
           "if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"import course_lib pulled in heavy modules: {out.stdout}"


def test_pick_device_defaults_to_cpu_here_and_honours_override(monkeypatch, capsys):
    import torch

    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if device._mps_available() else "cpu")
    assert device.pick_device().type == expected
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.pick_device().type == "cpu"
    if not torch.cuda.is_available():
        monkeypatch.setenv("COURSE_DEVICE", "cuda")
        assert device.pick_device().type == "cpu"
        assert "not available" in capsys.readouterr().out


def test_set_seed_makes_numpy_and_torch_repeatable():
    import torch

    device.set_seed(3)
    a = (np.random.rand(3), torch.rand(3))
    device.set_seed(3)
    b = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_describe_reports_device(capsys):
    info = device.describe("cpu")
    assert info["kind"] == "cpu" and info["torch"]
    assert "device" in capsys.readouterr().out


def test_scale_follows_quick_mode_and_device(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert runtime.scale(quick=1, cpu=2, gpu=3, device="cuda") == 1
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert runtime.scale(quick=1, cpu=2, gpu=3, device="cpu") == 2
    assert runtime.scale(quick=1, cpu=2, gpu=3, device="cuda") == 3
    assert runtime.scale(quick=1, cpu=2, device="cuda") == 2


def test_linear_regression_truth_is_recoverable():
    d = data.linear_regression(n=2000, d=3, noise=0.1, seed=0)
    w = np.linalg.lstsq(d.X, d.y, rcond=None)[0]
    assert np.allclose(w, d.w_true, atol=0.02)


def test_logistic_labels_are_binary_and_follow_truth():
    d = data.logistic_regression(n=3000, seed=1)
    assert set(np.unique(d.y)) <= {0.0, 1.0}
    p = 1 / (1 + np.exp(-(d.X @ d.w_true)))
    assert abs(d.y.mean() - p.mean()) < 0.03


@pytest.mark.parametrize("fn", [data.moons, data.circles, data.spirals])
def test_2d_datasets_shapes(fn):
    X, y = fn(seed=0)
    assert X.ndim == 2 and X.shape[1] == 2 and len(X) == len(y)
    assert len(np.unique(y)) >= 2


def test_ill_conditioned_quadratic_has_requested_condition_number():
    q = data.ill_conditioned_quadratic(d=5, kappa=100.0, seed=0)
    lam = q.eigenvalues
    assert np.isclose(lam[-1] / lam[0], 100.0)
    w = np.ones(5)
    h = 1e-6
    num = np.array([(q.f(w + h * e) - q.f(w - h * e)) / (2 * h) for e in np.eye(5)])
    assert np.allclose(num, q.grad(w), atol=1e-6)


def test_sequence_tasks():
    X, y = data.copy_memory_task(50, 20, num_symbols=4, seed=0)
    assert X.shape == (50, 20) and np.array_equal(y, X[:, 0])
    X, y = data.adding_problem(10, 30, seed=0)
    assert X.shape == (10, 30, 2) and np.allclose(y, (X[..., 0] * X[..., 1]).sum(1))
    assert X[..., 1].sum(1).tolist() == [2.0] * 10


def test_digits_28_shapes():
    Xtr, ytr, Xte, yte = data.load_digits_28()
    assert Xtr.shape[1:] == (28, 28) and Xtr.dtype == np.uint8
    assert len(Xtr) + len(Xte) == 1797 and set(np.unique(ytr)) == set(range(10))


def test_plots_draw_without_error():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib import plots

    ax = plots.loss_curves({"a": [3, 2, 1], "b": [3, 1, 0.5]}, logy=True)
    assert len(ax.lines) == 2
    q = data.ill_conditioned_quadratic(d=2, kappa=10)
    ax = plots.contour_with_paths(q.f, {"gd": np.array([[1.0, 1.0], [0.5, 0.2]])})
    assert len(ax.lines) == 1
    X, y = data.moons(100)
    plots.decision_boundary(lambda P: (P[:, 0] > 0.5).astype(int), X, y, resolution=30)
    fig = plots.image_grid(np.zeros((5, 8, 8)), labels=list(range(5)), ncols=3)
    assert len(fig.axes) == 6
    plt.close("all")


def test_fit_learns_a_separable_problem():
    import torch

    from course_lib.train import fit, tensor_loaders

    device.set_seed(0)
    X, y = data.moons(400, noise=0.05, seed=0)
    loaders = tensor_loaders(X, y, X, y, batch_size=32)
    model = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    hist = fit(model, loaders, torch.optim.Adam(model.parameters(), lr=0.02), epochs=15, device=torch.device("cpu"),
               progress=False)
    assert hist["val_acc"][-1] > 0.95
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert all(v > 0 for v in hist["examples_per_s"])
