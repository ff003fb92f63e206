"""Shared logic for lecture 07 (convolutional networks): NumPy cross-correlation, classic kernels,
sample images, LeNet-style and MLP model builders, image loaders with optional augmentation.

The NumPy functions here are for pictures and widgets (one channel, readable); the homework (hw07)
asks students to write the batched NCHW versions themselves.
"""

from __future__ import annotations

# Implements graded exercises: the grader refuses these names when a submission imports them.
__answers_for__ = ("hw07",)

import numpy as np

# The slides' worked example (MIT 6.S191-style deck, seed 003): a 5×5 input and a vertical-edge kernel.
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


def transfer_experiment(sizes=(10, 30, 100), seeds=(0, 1, 2), pretrain_steps: int = 300, steps: int = 100,
                        lr: float = 1e-3, probe_lr: float = 1e-2, batch_size: int = 32, data=None) -> dict:
    """Pre-train LeNet on digits 0–4, then learn digits 5–9 from `size` examples per class three ways.

    `data`: (X_train, y_train, X_test, y_test) uint8 28×28 digits (default: course_lib.data.load_digits_28()).
    Source task: every training image of 0–4 (`pretrain_steps` Adam steps, batch 64, seed 0, one network).
    Target task: for each seed and size, `size` training images per class of 5–9 (drawn with that seed) and
      scratch   a LeNet with random weights, every layer trained;
      frozen    the pre-trained layers kept fixed, only a new last layer (84 → 5) trained (a convex problem,
                given the larger learning rate `probe_lr` so that it converges in the same number of steps);
      finetune  the pre-trained layers as the start, a new last layer, every layer trained;
    each with `steps` Adam updates (learning rate `lr`, batches of min(batch_size, n)); fixed in advance, not
    tuned. Accuracy on every test image of 5–9. Returns {"sizes", "seeds", method: (seeds, sizes) array,
    "source_acc": the pre-trained net's test accuracy on 0–4, "pool": training images per class available}.
    """
    import copy

    import torch
    import torch.nn as nn

    from course_lib.data import load_digits_28
    from course_lib.initstats import small_net_cpu_mode

    Xtr, ytr, Xte, yte = data if data is not None else load_digits_28()
    src, tgt = ytr < 5, ytr >= 5
    with small_net_cpu_mode():
        Xs, ys = to_tensor_images(Xtr[src]), torch.as_tensor(ytr[src])
        Xs_test = to_tensor_images(Xte[yte < 5])
        torch.manual_seed(0)
        base = lenet(num_classes=5)
        _train_steps(base, base.parameters(), Xs, ys, pretrain_steps, 2e-3, 64, 0)
        source_acc = _accuracy(base, Xs_test, torch.as_tensor(yte[yte < 5]))
        Xt_pool, yt_pool = Xtr[tgt], ytr[tgt] - 5
        Xt_test, yt_test = to_tensor_images(Xte[yte >= 5]), torch.as_tensor(yte[yte >= 5] - 5)
        pool = int(np.bincount(yt_pool).min())
        out = {k: np.full((len(seeds), len(sizes)), np.nan) for k in ("scratch", "frozen", "finetune")}
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
                for kind in ("frozen", "finetune"):
                    net = copy.deepcopy(base)
                    torch.manual_seed(seed)
                    net[-1] = nn.Linear(net[-1].in_features, 5)
                    if kind == "frozen":
                        for prm in net[:-1].parameters():
                            prm.requires_grad_(False)
                        params, step = net[-1].parameters(), probe_lr
                    else:
                        params, step = net.parameters(), lr
                    _train_steps(net, params, X, y, steps, step, bs, seed)
                    out[kind][i, j] = _accuracy(net, Xt_test, yt_test)
    return dict(out, sizes=list(sizes), seeds=list(seeds), source_acc=source_acc, pool=pool)
