"""``python -m ballots.witness``: a C2SP tlog-witness run by its owner, state in one directory.

    python -m ballots.witness init DIR --name NAME --log VKEY    # new key; prints its vkey
    python -m ballots.witness vkey DIR                            # print the witness vkey
    python -m ballots.witness serve DIR [--host H] [--port P]     # the HTTP API

DIR holds ``witness.key`` (the private key, mode 0600; keep the directory on the owner's
machine), ``logs.txt`` (the log vkeys it witnesses, one a line), ``state/`` (per origin, the
last checkpoint it cosigned, with its own cosignature), ``cosigned.log`` (every cosignature
given: time, origin, size, root) and ``evidence/`` (validly signed requests it refused: a
fork or a rollback there is proof of the log's misbehaviour).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ballots.checkpoint import Checkpoint
from ballots.note import (
    SIG_COSIGNATURE_V1,
    Note,
    NoteError,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    parse_note,
    verify_note,
)
from ballots.witnessing import (
    MAX_REQUEST,
    Refusal,
    Witness,
    add_checkpoint_request,
    parse_add_checkpoint,
)

KEY_FILE = "witness.key"
LOGS_FILE = "logs.txt"


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


class WitnessStore:
    """The witness directory; checks and updates of one origin's state are atomic."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        key_path = self.dir / KEY_FILE
        try:
            signer = NoteSigner.from_private_key_text(key_path.read_text())
        except OSError as exc:
            raise SystemExit(f"cannot read {key_path}: {exc.strerror}") from None
        logs: dict[str, list[VerifierKey]] = {}
        for line in self.logs_lines():
            key = VerifierKey.parse(line)
            logs.setdefault(key.name, []).append(key)
        self.witness = Witness(signer, logs)
        self._lock = threading.Lock()
        (self.dir / "state").mkdir(exist_ok=True)
        (self.dir / "evidence").mkdir(exist_ok=True)

    def logs_lines(self) -> list[str]:
        path = self.dir / LOGS_FILE
        if not path.exists():
            return []
        return [s for s in (line.strip() for line in path.read_text().splitlines()) if s]

    def _state_path(self, origin: str) -> Path:
        return self.dir / "state" / f"{origin_hash(origin)}.note"

    def latest(self, origin: str) -> Note | None:
        path = self._state_path(origin)
        try:
            return parse_note(path.read_bytes())
        except FileNotFoundError:
            return None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # One lock per process and one across processes sharing the directory: the check of
        # the old size and the write of the new checkpoint must not interleave (tlog-witness).
        with self._lock, open(self.dir / "lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def add_checkpoint(self, body: bytes, now: int | None = None) -> tuple[int, str, bytes]:
        """HTTP status, content type and body for one add-checkpoint request."""
        try:
            request = parse_add_checkpoint(body)
            with self._locked():
                try:
                    origin = Checkpoint.parse(request.note.text).origin
                except NoteError:
                    origin = ""
                latest = self.latest(origin) if origin else None
                try:
                    checkpoint = self.witness.check(request, latest)
                except Refusal as refusal:
                    if refusal.status in (409, 422):  # signed by the log, yet refused
                        self._keep_evidence(body, refusal)
                    raise
                stamp = int(time.time()) if now is None else now
                cosig = self.witness.cosign(request.note, stamp)
                stored = Note(request.note.text, (*request.note.signatures, cosig))
                self._write(self._state_path(checkpoint.origin), stored.to_bytes())
                with open(self.dir / "cosigned.log", "a") as fh:
                    fh.write(
                        f"{stamp} {checkpoint.origin} {checkpoint.size} {checkpoint.root.hex()}\n"
                    )
        except Refusal as refusal:
            return refusal.status, refusal.content_type, refusal.body.encode()
        return 200, "text/plain; charset=utf-8", cosig.line().encode()

    def _keep_evidence(self, body: bytes, refusal: Refusal) -> None:
        name = f"{time.time_ns()}-{refusal.status}.txt"
        header = f"# refused {refusal.status}: {refusal.message}\n".encode()
        self._write(self.dir / "evidence" / name, header + body)


def _handler(store: WitnessStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ballots-witness/1"

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
            if self.path != "/add-checkpoint":
                self._send(404, "text/plain; charset=utf-8", b"not found\n")
                return
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_REQUEST:
                self._send(400, "text/plain; charset=utf-8", b"need a Content-Length <= 64 KiB\n")
                return
            body = self.rfile.read(int(length))
            self._send(*store.add_checkpoint(body))

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[1] == "checkpoint" and len(parts[0]) == 64:
                for line in store.logs_lines():
                    origin = line.split("+", 1)[0]
                    if origin_hash(origin) == parts[0]:
                        latest = store.latest(origin)
                        if latest is not None:
                            self._send(200, "text/plain; charset=utf-8", latest.to_bytes())
                            return
            self._send(404, "text/plain; charset=utf-8", b"no checkpoint cosigned for that log\n")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            sys.stderr.write(f"witness: {self.address_string()} {format % args}\n")

    return Handler


def make_server(directory: str | Path, host: str, port: int) -> ThreadingHTTPServer:
    store = WitnessStore(directory)
    return ThreadingHTTPServer((host, port), _handler(store))


class WitnessUnavailable(Exception):
    """A witness did not cosign: unreachable, or it refused (``status`` is its HTTP status)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


def _post(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - the caller configures http(s) witness URLs
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), bytes(response.read(MAX_REQUEST))
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_REQUEST)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WitnessUnavailable(None, f"{url}: {exc}") from None


def request_cosignature(
    url: str,
    note: Note,
    old_size: int,
    proof_from: Callable[[int], Sequence[bytes]],
    key: VerifierKey,
    timeout: float = 10.0,
) -> tuple[NoteSignature, int]:
    """Ask the witness at ``url`` (its submission prefix) to cosign ``note``.

    ``old_size`` is the size the caller believes the witness last cosigned; on a 409 the
    witness names its size and the request is made once more with a proof from there.
    Returns the witness's cosignature, checked against ``key``, and the size it now holds.
    """
    size = Checkpoint.parse(note.text).size
    target = url.rstrip("/") + "/add-checkpoint"
    for _ in range(2):
        body = add_checkpoint_request(old_size, proof_from(old_size), note)
        status, answer = _post(target, body, timeout)
        if status == 409:
            text = answer.decode("ascii", "replace").strip()
            if not text.isdigit() or int(text) > size or int(text) == old_size:
                raise WitnessUnavailable(409, f"{url}: conflict, says its size is {text!r}")
            old_size = int(text)
            continue
        if status != 200:
            message = answer.decode("utf-8", "replace").strip()[:300]
            raise WitnessUnavailable(status, f"{url}: refused ({status}): {message}")
        try:
            cosigned = parse_note(note.text + b"\n" + answer)
            _, good = verify_note(cosigned, [key])
        except NoteError as exc:
            raise WitnessUnavailable(status, f"{url}: bad cosignature: {exc}") from None
        return good[0].signature, size
    raise WitnessUnavailable(409, f"{url}: conflict twice")


def init(directory: str | Path, name: str, logs: Sequence[str]) -> NoteSigner:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    key_path = path / KEY_FILE
    if key_path.exists():
        raise ValueError(f"{key_path} exists; refusing to replace a witness key")
    parsed = [VerifierKey.parse(v) for v in logs]  # refuse a bad vkey before writing anything
    signer = NoteSigner.generate(name, SIG_COSIGNATURE_V1)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(signer.private_key_text() + "\n")
    with open(path / LOGS_FILE, "a") as fh:
        for key in parsed:
            fh.write(key.vkey + "\n")
    return signer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ballots.witness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_init = sub.add_parser("init", help="create the witness key and directory")
    p_init.add_argument("dir")
    p_init.add_argument("--name", required=True, help="the witness key name, e.g. example.org/w1")
    p_init.add_argument("--log", action="append", default=[], help="a log vkey to witness")
    p_vkey = sub.add_parser("vkey", help="print the witness's verifier key")
    p_vkey.add_argument("dir")
    p_serve = sub.add_parser("serve", help="serve the tlog-witness HTTP API")
    p_serve.add_argument("dir")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=7380)
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            print(init(args.dir, args.name, args.log).verifier.vkey)
            return 0
        if args.command == "vkey":
            print(WitnessStore(args.dir).witness.signer.verifier.vkey)
            return 0
        server = make_server(args.dir, args.host, args.port)
    except (NoteError, ValueError) as exc:
        print(f"witness: {exc}", file=sys.stderr)
        return 2
    print(f"witness listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
