"""Fashion-MNIST loader over real HTTP on 127.0.0.1: download, checksum failure, server down, cache."""

import gzip
import hashlib
import http.server
import socket
import threading
from functools import partial

import numpy as np
import pytest

from course_lib.data import fashion_mnist as fm


def _idx(arr: np.ndarray) -> bytes:
    code = {np.uint8: 0x08}[arr.dtype.type]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(">u1").tobytes()


@pytest.fixture
def served(tmp_path):
    """Serve four small gzipped IDX files; yield (base_url, files-with-checksums, arrays, hits)."""
    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              "train_labels": rng.integers(0, 10, 12, dtype=np.uint8),
              "test_images": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "test_labels": rng.integers(0, 10, 5, dtype=np.uint8)}
    root = tmp_path / "www"
    root.mkdir()
    files = {}
    for key, (name, _) in fm.FILES.items():
        blob = gzip.compress(_idx(arrays[key]), mtime=0)
        (root / name).write_bytes(blob)
        files[key] = (name, hashlib.sha256(blob).hexdigest())
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", files, arrays, hits
    server.shutdown()
    server.server_close()


def test_download_parses_and_caches(served, tmp_path):
    url, files, arrays, hits = served
    cache = tmp_path / "cache"
    d = fm.load_fashion_mnist(cache, mirrors=(url,), files=files, offline=False, timeout=5)
    assert d.source == "fashion-mnist"
    assert np.array_equal(d.X_train, arrays["train_images"]) and np.array_equal(d.y_test, arrays["test_labels"])
    assert d.X_train.dtype == np.uint8 and d.y_train.dtype == np.int64
    n = len(hits)
    assert n == 4
    d2 = fm.load_fashion_mnist(cache, mirrors=(url,), files=files, offline=False, timeout=5)
    assert len(hits) == n, "a second load must come from the cache"
    assert np.array_equal(d2.X_test, arrays["test_images"])


def test_checksum_mismatch_falls_back_to_digits(served, tmp_path, capsys):
    url, files, _, _ = served
    bad = dict(files)
    bad["train_images"] = (files["train_images"][0], "0" * 64)
    d = fm.load_fashion_mnist(tmp_path / "c", mirrors=(url,), files=bad, offline=False, timeout=5)
    out = capsys.readouterr().out
    assert d.source.startswith("digits-28")
    assert d.X_train.shape[1:] == (28, 28)
    assert "checksum mismatch" in out and out.count("\n") == 1
    assert not (tmp_path / "c" / files["train_images"][0]).exists(), "a bad download must not stay in the cache"


def test_server_down_falls_back_in_one_line(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = fm.load_fashion_mnist(tmp_path, mirrors=(f"http://127.0.0.1:{port}/",), offline=False, timeout=2)
    out = capsys.readouterr().out
    assert d.source.startswith("digits-28") and "could not download" in out and out.count("\n") == 1


def test_offline_env_skips_network(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    d = fm.load_fashion_mnist(tmp_path, mirrors=("http://127.0.0.1:9/",))
    assert d.source.startswith("digits-28") and "offline" in capsys.readouterr().out


def test_parse_idx_rejects_garbage():
    with pytest.raises(ValueError):
        fm.parse_idx(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError):
        fm.parse_idx(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x00" * 3)
