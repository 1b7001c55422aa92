"""Builds on Ray beside the local build: the 48 XQuAD articles (ru + en) indexed with the default
model in this process, then on a local Ray cluster (`ray start --head`, loopback only) of 1 and
of 2 workers, one embedding actor per worker CPU with one torch thread. tokens/s is the model's
tokens (every sentence with the e5 "passage: " prompt) over the build's wall time, loading the
model included; the cosine column checks the cluster's vectors against the local ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import qa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality  # noqa: E402

# A cluster on this machine only: loopback addresses and no token (Ray's default for clusters it
# starts), for the benchmark and the tests.
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@contextlib.contextmanager
def head(cpus: int):
    """`ray start --head` with `cpus` CPUs and a 100 MB object store; yields its address. The
    variables in RAY_ENV are set for this process too (before it imports ray) and restored."""
    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="qa-ray-")  # short: Ray's socket paths live under it
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("ray")),
            "start",
            "--head",
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--port={port}",
            f"--num-cpus={cpus}",
            "--object-store-memory=100000000",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={tmp}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as one below
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        ray.shutdown()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)  # it drains the node first, which a cluster of one machine need not wait for
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _tokens(index: Path) -> int:
    st = qa.Retriever.load(index).stored
    texts = [
        st.document(st.chunk(i).source).text[a:b]
        for i in range(st.n_chunks)
        for a, b in (st.sentence_spans[j] for j in st.sentences_of(i))
    ]
    return sum(qa.load_embedder().token_counts(texts))  # the e5 "passage: " prompt included


def _min_cosine(a: Path, b: Path) -> float:
    u, v = (np.asarray(qa.Retriever.load(p).stored.sentence_vectors, np.float32) for p in (a, b))
    return float(((u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)).min())


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seeds = work / "seeds"
        seeds.mkdir()
        for lang in ("ru", "en"):
            for p in quality.corpus(lang, work / f"c-{lang}")[0].iterdir():
                (seeds / f"{lang}_{p.name}").write_bytes(p.read_bytes())
        rows = []
        t = time.perf_counter()
        qa.build_index(seeds, work / "local")
        rows.append(
            ("local (this process, ONNX Runtime, a thread per core)", time.perf_counter() - t, work / "local")
        )
        for workers in (1, 2):
            with head(workers) as address:
                t = time.perf_counter()
                qa.build_index(seeds, work / f"ray{workers}", settings=qa.load_settings(ray_address=address))
                rows.append(
                    (
                        f"Ray, {workers} worker{'s' * (workers > 1)}",
                        time.perf_counter() - t,
                        work / f"ray{workers}",
                    )
                )
        tokens = _tokens(work / "local")
        lines = [
            f"## Builds on Ray (48 XQuAD articles ru+en, default model, {tokens} tokens)",
            "",
            "| build | seconds | tokens/s | min cosine to local |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {s:.1f} | {tokens / s:.0f} | {_min_cosine(path, work / 'local'):.5f} |"
            for name, s, path in rows
        ]
    lines += [
        "",
        "Wall time from start to finish, loading the model included (once here, once per actor on "
        "Ray), on the shared 2-core machine: the cluster's own workers are the same two cores.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
