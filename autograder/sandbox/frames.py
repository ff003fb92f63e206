"""Length-prefixed JSON frames over a socket (used on both sides of the sandbox boundary)."""

from __future__ import annotations

import json
import socket
import struct

HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


class FrameError(ValueError):
    """A frame was too large, truncated or not JSON."""


def send(sock: socket.socket, obj) -> None:
    data = json.dumps(obj, allow_nan=False).encode("utf-8")
    sock.sendall(HEADER.pack(len(data)) + data)


def pack_text(text: str) -> bytes:
    """A frame's bytes, ready to send (built ahead when the sending itself is timed)."""
    data = text.encode("utf-8")
    return HEADER.pack(len(data)) + data


def send_text(sock: socket.socket, text: str) -> None:
    sock.sendall(pack_text(text))


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None if not buf else bytes(buf)
        buf.extend(chunk)
    return bytes(buf)


def recv_raw(sock: socket.socket, limit: int = MAX_FRAME) -> bytes | None:
    """One frame's bytes, or None at a clean end of stream."""
    head = _recv_exact(sock, HEADER.size)
    if head is None:
        return None
    if len(head) < HEADER.size:
        raise FrameError("truncated frame header")
    (n,) = HEADER.unpack(head)
    if n > limit:
        raise FrameError(f"frame of {n} bytes exceeds the limit of {limit}")
    data = _recv_exact(sock, n)
    if data is None or len(data) < n:
        raise FrameError("truncated frame")
    return data


def digest(value) -> str:
    """SHA-256 of a plain value (course_lib.grading.wire), identical before and after a wire round trip: arrays
    by dtype, shape and bytes, containers element by element, dict keys sorted, other values by type and repr.
    A timed run answers with this and sends the value itself after the clock has stopped."""
    import hashlib

    import numpy as np

    h = hashlib.sha256()

    def walk(v, depth=0):
        if depth > 64:
            raise ValueError("structure nested too deeply")
        if isinstance(v, np.ndarray):
            h.update(f"A{v.dtype.str}{v.shape}:".encode())
            h.update(v.tobytes())
        elif isinstance(v, (list, tuple)):
            h.update(f"{type(v).__name__}{len(v)}(".encode())
            for x in v:
                walk(x, depth + 1)
            h.update(b")")
        elif isinstance(v, dict):
            h.update(f"dict{len(v)}(".encode())
            for k in sorted(v):
                h.update(f"{k!r}=".encode())
                walk(v[k], depth + 1)
            h.update(b")")
        else:
            h.update(f"{type(v).__name__}:{v!r};".encode())

    walk(value)
    return h.hexdigest()


def recv(sock: socket.socket, limit: int = MAX_FRAME):
    data = recv_raw(sock, limit)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FrameError(f"malformed frame: {exc}") from exc
