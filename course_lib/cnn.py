"""Shared logic for lecture 07 (convolutional networks): NumPy cross-correlation, classic kernels,
sample images, LeNet-style and MLP model builders, image loaders with optional augmentation.

The NumPy functions here are for pictures and widgets (one channel, readable); the homework (hw07)
asks students to write the batched NCHW versions themselves.
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw07",)

import numpy as np

# A classic worked example of introductory slides: a 5×5 input and a vertical-edge kernel (lecture 07, §2).
SLIDE_INPUT = np.array([[7, 2, 3, 3, 8],
                        [4, 5, 3, 8, 4],
                        [3, 3, 2, 8, 4],
                        [2, 8, 7, 2, 7],
                        [5, 4, 4, 5, 4]], dtype=float)
SLIDE_KERNEL = np.array([[1, 0, -1],
                         [1, 0, -1],
                         [1, 0, -1]], dtype=float)

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "vertical edge": SLIDE_KERNEL.copy(),
    "horizontal edge": SLIDE_KERNEL.T.copy(),
    "sobel x": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
    "sobel y": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "box blur": np.full((3, 3), 1.0 / 9.0),
    "gaussian blur": np.outer([1, 2, 1], [1, 2, 1]) / 16.0,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
}


def output_size(n: int, k: int, stride: int = 1, pad: int = 0) -> int:
    """floor((n + 2·pad − k) / stride) + 1: the number of kernel positions along one axis."""
    return (n + 2 * pad - k) // stride + 1


def correlate2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Single-channel cross-correlation (what torch calls conv2d): out[i, j] = Σ_uv x[i·s+u, j·s+v]·k[u, v].

    Zero padding of `pad` pixels on every side. Vectorised with sliding_window_view.
    """
    x = np.asarray(image, dtype=float)
    k = np.asarray(kernel, dtype=float)
    if pad:
        x = np.pad(x, pad)
    kh, kw = k.shape
    if x.shape[0] < kh or x.shape[1] < kw:
        raise ValueError(f"kernel {k.shape} is larger than the padded image {x.shape}")
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw))[::stride, ::stride]
    return np.einsum("ijuv,uv->ij", win, k)


def convolve2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """True (flipped-kernel) convolution: cross-correlation with the kernel rotated by 180°."""
    return correlate2d(image, np.asarray(kernel)[::-1, ::-1], stride, pad)


def max_pool(image: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Single-channel max pooling (no padding)."""
    stride = stride or size
    win = np.lib.stride_tricks.sliding_window_view(np.asarray(image, dtype=float), (size, size))
    return win[::stride, ::stride].max(axis=(-1, -2))


def _synthetic_scene(n: int = 96) -> np.ndarray:
    """A grey-level test scene: a disc, a square, stripes and a ramp (no files needed)."""
    yy, xx = np.mgrid[0:n, 0:n] / n
    img = 0.25 + 0.2 * xx
    img = np.where((xx - 0.3) ** 2 + (yy - 0.3) ** 2 < 0.04, 0.9, img)
    img = np.where((abs(xx - 0.72) < 0.16) & (abs(yy - 0.3) < 0.16), 0.05, img)
    stripes = (np.sin(2 * np.pi * 8 * xx) > 0) * 0.6 + 0.2
    img = np.where(yy > 0.62, stripes, img)
    return img.astype(float)


def sample_images(size: int = 96) -> dict[str, np.ndarray]:
    """Grey images in [0, 1] for the explorer: 'scene' (synthetic), 'photo' (scikit-learn's bundled
    china.jpg when Pillow is present), 'digit' (a bundled 8×8 digit resized) and the slides' 5×5 input."""
    from course_lib.data.digits import load_digits, resize_bilinear

    images = {"scene": _synthetic_scene(size)}
    try:
        from sklearn.datasets import load_sample_image

        rgb = load_sample_image("china.jpg").astype(float) / 255.0
        grey = rgb @ np.array([0.299, 0.587, 0.114])
        step = max(1, min(grey.shape) // (2 * size))
        crop = grey[::step, ::step][: 2 * size, 40: 40 + 2 * size]
        images["photo"] = crop[::2, ::2][:size, :size]
    except Exception:  # noqa: BLE001 - Pillow missing: the photo is optional
        pass
    X, _ = load_digits()
    images["digit"] = resize_bilinear(X[:1], 28)[0].astype(float)
    images["slide 5x5"] = SLIDE_INPUT / SLIDE_INPUT.max()
    return images


# ---------------------------------------------------------------- models (torch, imported lazily)

def lenet(num_classes: int = 10, in_channels: int = 1, width: int = 1, dropout: float = 0.0):
    """A LeNet-5-style CNN for 28×28 inputs (LeCun et al. 1998), modernised with ReLU and max pooling.

    conv 5×5 (6·width, pad 2) → pool → conv 5×5 (16·width) → pool → FC 120 → FC 84 → FC classes.
    """
    import torch.nn as nn

    c1, c2 = 6 * width, 16 * width
    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 28 → 14
        nn.Conv2d(c1, c2, 5), nn.ReLU(), nn.MaxPool2d(2),  # 14 → 10 → 5
        nn.Flatten(),
        nn.Linear(c2 * 5 * 5, 120), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def mlp(num_classes: int = 10, in_features: int = 28 * 28, hidden: tuple[int, ...] = (80, 40),
        dropout: float = 0.0):
    """A fully connected ReLU net on flattened images; the default has about as many weights as lenet()."""
    import torch.nn as nn

    layers: list = [nn.Flatten()]
    d = in_features
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU(), nn.Dropout(dropout)]
        d = h
    layers.append(nn.Linear(d, num_classes))
    return nn.Sequential(*layers)


def count_parameters(model) -> int:
    """Number of trainable scalars."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def to_tensor_images(X: np.ndarray):
    """uint8 (n, 28, 28) → float32 tensor (n, 1, 28, 28) in [0, 1]."""
    import torch

    return torch.as_tensor(np.asarray(X, dtype=np.float32) / 255.0).unsqueeze(1)


def random_shift_flip(x, shift: int = 2, flip: bool = False, generator=None):
    """Batch augmentation on any device: shift each image (N, C, H, W) by up to `shift` pixels (zero fill),
    and mirror it left-right with probability ½ if `flip`."""
    import torch
    import torch.nn.functional as F

    N, C, H, W = x.shape
    gen_device = generator.device if generator is not None else x.device  # a generator on x's device: no copy
    if shift:
        xp = F.pad(x, (shift, shift, shift, shift))
        off = torch.randint(0, 2 * shift + 1, (2, N), generator=generator, device=gen_device).to(x.device)
        rows = (off[0][:, None] + torch.arange(H, device=x.device))[:, None, :, None]
        cols = (off[1][:, None] + torch.arange(W, device=x.device))[:, None, None, :]
        n = torch.arange(N, device=x.device)[:, None, None, None]
        c = torch.arange(C, device=x.device)[None, :, None, None]
        x = xp[n, c, rows, cols]
    if flip:
        mask = (torch.rand(N, generator=generator, device=gen_device) < 0.5).to(x.device)[:, None, None, None]
        x = torch.where(mask, x.flip(-1), x)
    return x


class AugmentedLoader:
    """Shuffled mini-batches of (images, labels) with random_shift_flip applied per batch (fast, vectorised).

    The random numbers are drawn on the images' device when it has a generator (no copy, no wait per batch).
    """

    def __init__(self, X, y, batch_size: int, shift: int = 2, flip: bool = False, seed: int = 0):
        import torch

        self.X, self.y, self.batch_size, self.shift, self.flip = X, y, batch_size, shift, flip
        try:
            self.gen = torch.Generator(device=X.device).manual_seed(seed)
        except RuntimeError:  # no generator on this device: draw on the CPU
            self.gen = torch.Generator().manual_seed(seed)

    def __len__(self):
        return (len(self.y) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        import torch

        order = torch.randperm(len(self.y), generator=self.gen, device=self.gen.device).to(self.X.device)
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            yield random_shift_flip(self.X.index_select(0, idx), self.shift, self.flip, self.gen), \
                self.y.index_select(0, idx)


def image_loaders(data, n_train: int | None = None, n_test: int | None = None, batch_size: int = 128,
                  augment: bool = False, flip: bool = False, device=None, seed: int = 0):
    """Train/test loaders from a course_lib.data.ImageData (first n_train / n_test examples).

    With `device`, the tensors are moved there once and batched in place by course_lib.train.DeviceLoader
    (one permutation per epoch, one index_select per batch: GPU speed, no per-sample indexing); without it,
    DataLoaders over TensorDatasets as before. Augmentation (random shifts by up to 2 pixels, and left-right
    flips if `flip`) runs on that device, batch by batch.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from course_lib.train import DeviceLoader

    n_train = n_train or len(data.y_train)
    n_test = n_test or len(data.y_test)
    g = torch.Generator().manual_seed(seed)
    Xtr = to_tensor_images(data.X_train[:n_train])
    ytr = torch.as_tensor(data.y_train[:n_train])
    Xte = to_tensor_images(data.X_test[:n_test])
    yte = torch.as_tensor(data.y_test[:n_test])
    if device is not None:
        Xtr, ytr, Xte, yte = Xtr.to(device), ytr.to(device), Xte.to(device), yte.to(device)
    if augment:
        train = AugmentedLoader(Xtr, ytr, batch_size, shift=2, flip=flip, seed=seed)
    elif device is not None:
        train = DeviceLoader(Xtr, ytr, batch_size=batch_size, shuffle=True, seed=seed)
    else:
        train = DataLoader(TensorDataset(Xtr, ytr), batch_size=batch_size, shuffle=True, generator=g)
    if device is not None:
        test = DeviceLoader(Xte, yte, batch_size=1024, shuffle=False)
    else:
        test = DataLoader(TensorDataset(Xte, yte), batch_size=1024, shuffle=False)
    return train, test


def feature_maps(model, x, layer_index: int):
    """Activations of model[: layer_index + 1] for a batch x (an nn.Sequential)."""
    import torch

    with torch.no_grad():
        return model[: layer_index + 1](x)


# ---------------------------------------------------------------- transfer learning (offline, lecture 07)

def _train_steps(model, params, X, y, steps: int, lr: float, batch_size: int, seed: int):
    """`steps` Adam updates on shuffled mini-batches of (X, y) (tensors), updating only `params`."""
    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(params, lr=lr)
    model.train()
    n = len(y)
    order, pos = torch.randperm(n, generator=gen), 0
    for _ in range(steps):
        if pos + batch_size > n:
            order, pos = torch.randperm(n, generator=gen), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    return model


def _accuracy(model, X, y) -> float:
    import torch

    with torch.no_grad():
        return float((model(X).argmax(1) == y).float().mean())


def _mean_loss(model, X, y) -> float:
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        return float(F.cross_entropy(model(X), y))


# Where the linear probes of transfer_experiment read LeNet (lenet()'s layer indices):
#   "conv"  the output of the second conv block, after its max-pool, flattened: net[:7], 16·5·5 = 400 features;
#   "fc"    the penultimate layer, after its ReLU: net[:-1], 84 features (what "replace the last layer" trains on).
PROBE_LAYERS = {"conv": 7, "fc": -1}


def fit_linear_probe(features, y, num_classes: int, l2: float | None = None, max_iter: int = 1000) -> dict:
    """Multinomial logistic regression with an L2 penalty, fitted to convergence with L-BFGS (float64).

    Each feature is standardized with the training mean and standard deviation (plus 1% of the mean standard
    deviation, so that features that are nearly constant on the few training images are not blown up). The
    objective is  mean cross-entropy + (l2 / 2)·‖W‖²  (bias not penalized); the default l2 = 1/n is scikit-learn's
    LogisticRegression default (C = 1). The problem is strictly convex, so L-BFGS converges to the unique
    minimiser; "grad_max" (the largest |∂J/∂θ| at the end) says how close it got (`max_iter` small: not close).
    Returns {"W", "b", "mu", "sd", "grad_max", "train_loss", "l2"}; predict with `probe_predict`.
    """
    import torch
    import torch.nn.functional as F

    Fx = torch.as_tensor(features).detach().double().flatten(1)
    yt = torch.as_tensor(y).long()
    n = len(yt)
    l2 = 1.0 / n if l2 is None else float(l2)
    mu = Fx.mean(0)
    sd = Fx.std(0) if n > 1 else torch.zeros_like(mu)
    sd = sd + 0.01 * sd.mean() + 1e-12
    Z = (Fx - mu) / sd
    W = torch.zeros(Z.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)

    def objective():
        return F.cross_entropy(Z @ W + b, yt) + 0.5 * l2 * (W * W).sum()

    if max_iter > 0:
        opt = torch.optim.LBFGS([W, b], lr=1.0, max_iter=max_iter, tolerance_grad=1e-10, tolerance_change=0.0,
                                history_size=20, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = objective()
            loss.backward()
            return loss

        opt.step(closure)
    J = objective()
    gW, gb = torch.autograd.grad(J, [W, b])
    grad_max = float(max(gW.abs().max(), gb.abs().max()))
    with torch.no_grad():
        train_loss = float(F.cross_entropy(Z @ W + b, yt))
    return {"W": W.detach(), "b": b.detach(), "mu": mu, "sd": sd, "grad_max": grad_max, "train_loss": train_loss,
            "l2": l2}


def probe_predict(probe: dict, features):
    """Class predictions of a probe from fit_linear_probe on new features (standardized with the training numbers)."""
    import torch

    Fx = torch.as_tensor(features).detach().double().flatten(1)
    return (((Fx - probe["mu"]) / probe["sd"]) @ probe["W"] + probe["b"]).argmax(1)


def pretrain_source(pretrain_steps: int = 300, data=None):
    """LeNet (5 outputs) trained on every training image of the digits 0–4: `pretrain_steps` Adam steps
    (learning rate 2e-3, batches of 64, seed 0). Returns (net, its test accuracy on the test images of 0–4)."""
    import torch

    from course_lib.data import load_digits_28
    from course_lib.initstats import small_net_cpu_mode

    Xtr, ytr, Xte, yte = data if data is not None else load_digits_28()
    with small_net_cpu_mode():
        Xs, ys = to_tensor_images(Xtr[ytr < 5]), torch.as_tensor(ytr[ytr < 5])
        torch.manual_seed(0)
        base = lenet(num_classes=5)
        _train_steps(base, base.parameters(), Xs, ys, pretrain_steps, 2e-3, 64, 0)
        source_acc = _accuracy(base, to_tensor_images(Xte[yte < 5]), torch.as_tensor(yte[yte < 5]))
    return base, source_acc


def transfer_experiment(sizes=(10, 30, 100), seeds=(0, 1, 2), pretrain_steps: int = 300, steps: int = 300,
                        lr: float = 1e-3, batch_size: int = 32, probe_iters: int = 1000, probe_l2: float | None = None,
                        data=None, base=None, finetune_lr: float | None = None) -> dict:
    """Pre-train LeNet on digits 0–4, then learn digits 5–9 from `size` examples per class four ways.

    `data`: (X_train, y_train, X_test, y_test) uint8 28×28 digits (default: course_lib.data.load_digits_28()).
    Source task: `pretrain_source(pretrain_steps, data)` (or a given pre-trained `base`, which is not modified).
    Target task: for each seed and size, `size` training images per class of 5–9 (drawn with that seed) and
      scratch     a LeNet with random weights, every layer trained;
      finetune    the pre-trained layers as the start, a new last layer (84 → 5), every layer trained;
      both with `steps` Adam updates (learning rate `lr`, or `finetune_lr` for fine-tuning if given; batches of
      min(batch_size, n)), enough to fit the few training images (their final training loss is returned);
      frozen      a linear probe on the pre-trained penultimate features (84, "fc" in PROBE_LAYERS): the
                  pre-trained layers fixed, a new last layer fitted as an L2 logistic regression to convergence
                  (fit_linear_probe with `probe_iters` L-BFGS iterations and `probe_l2`; default 1/n);
      probe_conv  the same probe on the output of the second conv block (400 features, "conv").
    Nothing is tuned on the test images; accuracy on every test image of 5–9. Returns {"sizes", "seeds", method:
    (seeds, sizes) test accuracy, "train_loss": {method: (seeds, sizes) final training loss (networks: plain
    cross-entropy; probes: its unpenalized part)}, "probe_grad_max": (seeds, sizes, 2) largest |gradient| of each
    probe's objective at the end (fc, conv), "source_acc", "pool": training images per class available}.
    """
    import copy

    import torch
    import torch.nn as nn

    from course_lib.data import load_digits_28
    from course_lib.initstats import small_net_cpu_mode

    data = data if data is not None else load_digits_28()
    Xtr, ytr, Xte, yte = data
    if base is None:
        base, source_acc = pretrain_source(pretrain_steps, data)
    else:
        source_acc = _accuracy(base, to_tensor_images(Xte[yte < 5]), torch.as_tensor(yte[yte < 5]))
    tgt = ytr >= 5
    kinds = ("scratch", "finetune", "frozen", "probe_conv")
    with small_net_cpu_mode():
        base.eval()
        Xt_pool, yt_pool = Xtr[tgt], ytr[tgt] - 5
        Xt_test, yt_test = to_tensor_images(Xte[yte >= 5]), torch.as_tensor(yte[yte >= 5] - 5)
        with torch.no_grad():
            test_feats = {k: base[:i](Xt_test) for k, i in PROBE_LAYERS.items()}
        pool = int(np.bincount(yt_pool).min())
        out = {k: np.full((len(seeds), len(sizes)), np.nan) for k in kinds}
        train_loss = {k: np.full((len(seeds), len(sizes)), np.nan) for k in kinds}
        grad_max = np.full((len(seeds), len(sizes), 2), np.nan)
        for i, seed in enumerate(seeds):
            rng = np.random.default_rng(1000 + seed)
            for j, size in enumerate(sizes):
                idx = np.concatenate([rng.choice(np.flatnonzero(yt_pool == c), min(size, pool), replace=False)
                                      for c in range(5)])
                X, y = to_tensor_images(Xt_pool[idx]), torch.as_tensor(yt_pool[idx])
                bs = min(batch_size, len(y))
                torch.manual_seed(seed)
                scratch = lenet(num_classes=5)
                _train_steps(scratch, scratch.parameters(), X, y, steps, lr, bs, seed)
                out["scratch"][i, j] = _accuracy(scratch, Xt_test, yt_test)
                train_loss["scratch"][i, j] = _mean_loss(scratch, X, y)
                net = copy.deepcopy(base)
                torch.manual_seed(seed)
                net[-1] = nn.Linear(net[-1].in_features, 5)
                _train_steps(net, net.parameters(), X, y, steps, lr if finetune_lr is None else finetune_lr, bs, seed)
                out["finetune"][i, j] = _accuracy(net, Xt_test, yt_test)
                train_loss["finetune"][i, j] = _mean_loss(net, X, y)
                for col, (kind, layer) in enumerate((("frozen", "fc"), ("probe_conv", "conv"))):
                    with torch.no_grad():
                        feats = base[:PROBE_LAYERS[layer]](X)
                    probe = fit_linear_probe(feats, y, 5, l2=probe_l2, max_iter=probe_iters)
                    out[kind][i, j] = float((probe_predict(probe, test_feats[layer]) == yt_test).double().mean())
                    train_loss[kind][i, j] = probe["train_loss"]
                    grad_max[i, j, col] = probe["grad_max"]
    return dict(out, sizes=list(sizes), seeds=list(seeds), source_acc=source_acc, pool=pool, train_loss=train_loss,
                probe_grad_max=grad_max)


def transfer_measures(tl: dict) -> dict:
    """What lecture 07's transfer-learning claims measure, from a transfer_experiment result (one value per seed):

      probe_grad_max          the largest |gradient| left in any probe's objective (one number: did they converge?)
      network_train_loss      the largest final training loss of the scratch and fine-tuned networks (one number)
      conv_minus_fc           smallest accuracy difference over the sizes: conv-block probe − penultimate probe
      conv_minus_scratch      smallest difference over the sizes: conv-block probe − from scratch
      scratch_minus_fc        smallest difference over the sizes: from scratch − penultimate probe
      finetune_minus_scratch  at the smallest size: fine-tuned − from scratch
      conv_minus_finetune     mean difference over the sizes: conv-block probe − fine-tuned
    """
    def smallest(a, b):
        return [float(v) for v in (tl[a] - tl[b]).min(axis=1)]

    return {"probe_grad_max": float(np.max(tl["probe_grad_max"])),
            "network_train_loss": float(max(np.max(tl["train_loss"]["scratch"]), np.max(tl["train_loss"]["finetune"]))),
            "conv_minus_fc": smallest("probe_conv", "frozen"),
            "conv_minus_scratch": smallest("probe_conv", "scratch"),
            "scratch_minus_fc": smallest("scratch", "frozen"),
            "finetune_minus_scratch": [float(v) for v in tl["finetune"][:, 0] - tl["scratch"][:, 0]],
            "conv_minus_finetune": [float(v) for v in (tl["probe_conv"] - tl["finetune"]).mean(axis=1)]}
