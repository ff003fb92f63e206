"""Training throughput: LeNet through the course's own path (image_loaders + fit) vs a plain device-resident loop.

    python benchmarks/train_throughput.py                      # best device; batch 256 on CUDA, 64 on a CPU
    python benchmarks/train_throughput.py --device cpu --epochs 3 --examples 20000
    python benchmarks/train_throughput.py --device cuda --batch-size 256 --epochs 5 --examples 60000

Both paths train the same LeNet (course_lib.cnn.lenet, lecture 07's model) from the same initial weights with
Adam, on the same data: scikit-learn's bundled digits at 28×28 (course_lib.data.load_digits_28), replicated to
`--examples` training images. The course path is what lecture 07 runs: `image_loaders(data, ..., device=dev)`
then `fit(model, train_loader, opt, ...)` (progress bar on, as in the notebook; `--no-progress` to drop it).
The plain loop is hand-written: tensors on the device, one randperm per epoch, index, forward, backward, step.
Throughput is examples/s per epoch, synchronised at the epoch's end; the figure is the median over the epochs
after the first (which pays for kernel selection and allocation), pooled over `--rounds` rounds that alternate
which path runs first (a shared or warming machine otherwise favours one of them). Target: plain/course time
ratio ≤ 1.2.
On a CPU both paths run with the same torch thread count (lecture 07's choice: 1 thread on ≤ 2 cores).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

TARGET_RATIO = 1.2


def make_data(examples: int, seed: int = 0):
    """ImageData with the digits' training split (28×28 uint8) tiled to `examples` images."""
    from course_lib.data.digits import load_digits_28
    from course_lib.data.fashion_mnist import ImageData

    Xtr, ytr, Xte, yte = load_digits_28(seed=seed)
    reps = -(-examples // len(ytr))
    X = np.concatenate([Xtr] * reps)[:examples]
    y = np.concatenate([ytr] * reps)[:examples]
    return ImageData(X, y, Xte, yte, source=f"digits-28 x{reps} (replicated)",
                     classes=tuple(str(i) for i in range(10)))


def course_path(data, dev, batch_size: int, epochs: int, progress: bool, seed: int = 0) -> list[float]:
    """Lecture 07's path: image_loaders(..., device) + fit; examples/s per epoch."""
    import torch

    from course_lib.cnn import image_loaders, lenet
    from course_lib.train import fit

    torch.manual_seed(seed)
    model = lenet().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_loader, _ = image_loaders(data, batch_size=batch_size, device=dev, seed=seed)
    hist = fit(model, train_loader, opt, epochs=epochs, device=dev, progress=progress)
    return [float(v) for v in hist["examples_per_s"]]


def plain_loop(data, dev, batch_size: int, epochs: int, seed: int = 0) -> list[float]:
    """The hand-written reference: device tensors, randperm, index, forward/backward/step."""
    import torch
    import torch.nn.functional as F

    from course_lib.cnn import lenet, to_tensor_images
    from course_lib.compute import synchronize

    torch.manual_seed(seed)
    model = lenet().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X = to_tensor_images(data.X_train).to(dev)
    y = torch.as_tensor(data.y_train).to(dev)
    n = len(y)
    speeds = []
    model.train()
    for _ in range(epochs):
        synchronize(dev)
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = X[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        synchronize(dev)
        speeds.append(n / (time.perf_counter() - t0))
    return speeds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    ap.add_argument("--batch-size", type=int, default=None, help="default: 256 on CUDA/MPS, 64 on a CPU")
    ap.add_argument("--epochs", type=int, default=None, help="default: 5 on CUDA/MPS, 3 on a CPU (≥ 2)")
    ap.add_argument("--examples", type=int, default=None,
                    help="training images (digits replicated); default 60000 on CUDA/MPS, 20000 on a CPU")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads for both paths (default: lecture 07's, 1 on ≤ 2 cores)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of both paths, alternating which runs first (default 2)")
    ap.add_argument("--no-progress", action="store_true", help="the course path without its progress bar")
    ap.add_argument("--max-ratio", type=float, default=None,
                    help=f"exit 1 if course/plain time ratio exceeds this (e.g. {TARGET_RATIO})")
    args = ap.parse_args(argv)

    import torch

    from course_lib.compute import device_name
    from course_lib.device import pick_device
    from course_lib.threads import cpu_threads

    dev = pick_device(args.device)
    gpu = dev.type in ("cuda", "mps")
    batch_size = args.batch_size or (256 if gpu else 64)
    epochs = max(2, args.epochs or (5 if gpu else 3))
    examples = args.examples or (60_000 if gpu else 20_000)
    data = make_data(examples)
    progress = not args.no_progress

    rounds = max(1, args.rounds)
    course: list[list[float]] = []
    plain: list[list[float]] = []
    with cpu_threads(dev, args.threads):
        threads = torch.get_num_threads()
        name = device_name(dev)
        for r in range(rounds):
            for which in (("course", "plain") if r % 2 == 0 else ("plain", "course")):
                if which == "course":
                    course.append(course_path(data, dev, batch_size, epochs, progress))
                else:
                    plain.append(plain_loop(data, dev, batch_size, epochs))

    c = statistics.median(v for run in course for v in run[1:])
    p = statistics.median(v for run in plain for v in run[1:])
    ratio = p / c  # how many times longer the course path takes per example
    print(f"## Training throughput: LeNet on {name}\n")
    print(f"torch {torch.__version__}, Python {platform.python_version()}, device {dev}, batch {batch_size}, "
          f"{epochs} epochs, {examples} training images ({data.source}), {threads} torch thread(s); "
          f"{rounds} round(s) alternating which path runs first; examples/s = median over epochs 2–{epochs} "
          f"of every round\n")

    def per_epoch(runs):
        return " / ".join(", ".join(f"{s:,.0f}" for s in run) for run in runs)

    print("| path | examples/s | per epoch (each round) |")
    print("|---|---:|---|")
    print(f"| course: `image_loaders(..., device)` + `fit` | {c:,.0f} | {per_epoch(course)} |")
    print(f"| plain device-resident loop | {p:,.0f} | {per_epoch(plain)} |")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"\nratio plain/course: {ratio:.2f}× ({verdict} the ≤ {TARGET_RATIO}× target)")
    if args.max_ratio is not None and ratio > args.max_ratio:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
