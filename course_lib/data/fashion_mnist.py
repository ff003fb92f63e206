"""Fashion-MNIST: download the four IDX files (timeout, SHA-256, cache), parse with NumPy, fall back offline.

The fallback when any download or checksum fails is scikit-learn's bundled digits resized to 28×28,
announced in one line, so a notebook never dies because a mirror is down.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
# SHA-256 of the gzipped files as published (the same values as the Chainer / pfio dataset loaders).
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz",
                     "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"),
    "train_labels": ("train-labels-idx1-ubyte.gz",
                     "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"),
    "test_images": ("t10k-images-idx3-ubyte.gz",
                    "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz",
                    "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass
class ImageData:
    """uint8 images (n, 28, 28) and int64 labels, with where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str
    classes: tuple = field(default_factory=tuple)


class DownloadError(RuntimeError):
    """A file could not be fetched or did not match its checksum."""


def cache_dir() -> Path:
    """$COURSE_DATA_DIR, else ~/.cache/course_lib."""
    root = os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "course_lib"
    return Path(root)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(url: str, dest: Path, expected_sha256: str, timeout: float = 10.0) -> Path:
    """Download `url` to `dest` atomically; raise DownloadError on failure or checksum mismatch."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        got = sha256(tmp)
        if got != expected_sha256:
            raise DownloadError(f"checksum mismatch for {url}: expected {expected_sha256[:12]}…, got {got[:12]}…")
        tmp.replace(dest)
        return dest
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DownloadError(f"could not download {url}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def parse_idx(data: bytes) -> np.ndarray:
    """Parse an IDX file (big-endian header: 0, 0, dtype code, ndim; then dims; then data)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    code, ndim = data[2], data[3]
    if code not in dtypes:
        raise ValueError(f"unknown IDX element type 0x{code:02x}")
    dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4).astype(int)
    arr = np.frombuffer(data, dtype=dtypes[code], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"IDX payload has {arr.size} values, header says {tuple(dims)}")
    return arr.reshape(tuple(dims)).astype(dtypes[code].lstrip(">"))


def load_idx_gz(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return parse_idx(f.read())


def download_all(root: Path, mirrors=MIRRORS, files=FILES, timeout: float = 10.0) -> dict[str, Path]:
    """Make sure every file is in `root` with the right checksum; try each mirror in turn."""
    paths = {}
    for key, (name, digest) in files.items():
        dest = root / name
        if dest.exists() and sha256(dest) == digest:
            paths[key] = dest
            continue
        errors = []
        for base in mirrors:
            try:
                paths[key] = fetch(base + name, dest, digest, timeout=timeout)
                break
            except DownloadError as exc:
                errors.append(str(exc))
        else:
            raise DownloadError("; ".join(errors))
    return paths


def load_fashion_mnist(root: str | Path | None = None, mirrors=MIRRORS, files=FILES,
                       timeout: float = 10.0, offline: bool | None = None) -> ImageData:
    """Fashion-MNIST as uint8 arrays; if offline or any download fails, the bundled digits at 28×28.

    Set COURSE_OFFLINE=1 to skip the network entirely.
    """
    root = Path(root) if root is not None else cache_dir() / "fashion_mnist"
    if offline is None:
        offline = os.environ.get("COURSE_OFFLINE", "").lower() in {"1", "true", "yes"}
    try:
        if offline:
            raise DownloadError("offline mode (COURSE_OFFLINE=1)")
        paths = download_all(root, mirrors, files, timeout)
        return ImageData(load_idx_gz(paths["train_images"]), load_idx_gz(paths["train_labels"]).astype(np.int64),
                         load_idx_gz(paths["test_images"]), load_idx_gz(paths["test_labels"]).astype(np.int64),
                         source="fashion-mnist", classes=CLASSES)
    except (DownloadError, ValueError, OSError) as exc:
        reason = str(exc).split(";")[0]
        print(f"Fashion-MNIST unavailable ({reason}); using the bundled digits resized to 28×28 instead.")
        from course_lib.data.digits import load_digits_28

        Xtr, ytr, Xte, yte = load_digits_28()
        return ImageData(Xtr, ytr, Xte, yte, source="digits-28 (offline fallback)",
                         classes=tuple(str(i) for i in range(10)))
