#!/usr/bin/python3
"""The Python side of the benchmark (bench/DeepScratch.Bench runs it): the same workloads in numpy and PyTorch.

Usage:
  bench_python.py gemm numpy|torch M K N      -> "best_ms median_ms" of C = A(MxK) @ B(KxN), float32
  bench_python.py mlp numpy|torch DATA BATCH  -> "best_ms median_ms" of the book's MLP over the 10,000 test images
                                                 (batch 1 is the book's per-image loop), data loading excluded
  bench_python.py info                        -> library versions and the BLAS kernel in use
PyTorch runs with 2 threads (the machine's cores); numpy's OpenBLAS uses all cores by default.
"""
import gzip
import pickle
import sys
import time

import numpy as np


def timeit(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return samples[0], samples[len(samples) // 2]


def load(data):
    with gzip.open(f"{data}/mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with open(f"{data}/weights/sample_weight.pkl", "rb") as f:
        network = pickle.load(f)
    return x.astype(np.float32) / 255.0, network


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def mlp_numpy(x, net, batch):
    W1, W2, W3, b1, b2, b3 = (net[k] for k in ("W1", "W2", "W3", "b1", "b2", "b3"))

    def predict(v):
        z1 = sigmoid(np.dot(v, W1) + b1)
        z2 = sigmoid(np.dot(z1, W2) + b2)
        return softmax(np.dot(z2, W3) + b3)

    if batch == 1:
        return lambda: [np.argmax(predict(x[i])) for i in range(len(x))]
    return lambda: [np.argmax(predict(x[i:i + batch]), axis=1) for i in range(0, len(x), batch)]


def mlp_torch(x, net, batch):
    import torch
    torch.set_num_threads(2)
    tx = torch.from_numpy(x)
    W1, W2, W3, b1, b2, b3 = (torch.from_numpy(np.ascontiguousarray(net[k])) for k in ("W1", "W2", "W3", "b1", "b2", "b3"))

    def predict(v):
        z1 = torch.sigmoid(torch.addmm(b1, v, W1))
        z2 = torch.sigmoid(torch.addmm(b2, z1, W2))
        return torch.softmax(torch.addmm(b3, z2, W3), dim=1)

    def run():
        with torch.no_grad():
            for i in range(0, len(tx), batch):
                torch.argmax(predict(tx[i:i + batch]), dim=1)
    return run


def main():
    what = sys.argv[1]
    if what == "info":
        import numpy
        line = f"numpy {numpy.__version__}"
        try:
            import threadpoolctl
            info = threadpoolctl.threadpool_info()
            line += " " + "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} {i.get('num_threads')} threads" for i in info)
            # Debian falls back to the netlib reference BLAS (about 30x slower) when no optimised one is installed.
            if not any(i.get("internal_api") in ("openblas", "mkl", "blis") for i in info):
                line += " WARNING: no optimised BLAS (reference BLAS?): numpy and PyTorch figures are not comparable; apt-get install -y libopenblas0-pthread"
        except ImportError:
            line += " (BLAS unknown: apt-get install -y python3-threadpoolctl)"
        try:
            import torch
            line += f", torch {torch.__version__}"
        except ImportError:
            pass
        print(line)
        return
    lib = sys.argv[2]
    if what == "gemm":
        m, k, n = (int(v) for v in sys.argv[3:6])
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        runs = 10 if m * n * k > 1e9 else 30
        if lib == "torch":
            import torch
            torch.set_num_threads(2)
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            best, median = timeit(lambda: torch.mm(ta, tb), runs)
        else:
            best, median = timeit(lambda: np.dot(a, b), runs)
    else:
        x, net = load(sys.argv[3])
        batch = int(sys.argv[4])
        fn = mlp_torch(x, net, batch) if lib == "torch" else mlp_numpy(x, net, batch)
        best, median = timeit(fn, 3 if batch == 1 else 15)
    print(f"{best:.4f} {median:.4f}")


if __name__ == "__main__":
    main()
