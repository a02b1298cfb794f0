#!/usr/bin/python3
"""One training epoch in PyTorch, for the benchmark's side-by-side training figures.

Usage: bench_train_torch.py two-layer|multi-layer FASHION_DIR
  two-layer:   the book's TwoLayerNet shape 784-50-10 (Affine-ReLU-Affine, softmax cross-entropy), SGD lr 0.1
  multi-layer: MultiLayerNetExtend's shape 784-100-100-100-100-10, BatchNorm, ReLU, Adam lr 0.001
Weights use PyTorch's default initialisation: the script times the same work per epoch as DeepScratch, it does not
reproduce the book's learning curve.
Each: 600 iterations of batch 100 (one epoch of the 60,000 Fashion-MNIST training images), forward + backward +
update, 2 threads. Prints "best_ms median_ms" over 5 epochs after one warm-up epoch.
"""
import gzip
import sys
import time

import numpy as np
import torch


def load(folder):
    with gzip.open(f"{folder}/train-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255.0
    with gzip.open(f"{folder}/train-labels-idx1-ubyte.gz", "rb") as f:
        t = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(t)


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    kind, folder = sys.argv[1], sys.argv[2]
    x, t = load(folder)
    if kind == "two-layer":
        model = torch.nn.Sequential(torch.nn.Linear(784, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    else:
        layers, size = [], 784
        for _ in range(4):
            layers += [torch.nn.Linear(size, 100), torch.nn.BatchNorm1d(100), torch.nn.ReLU()]
            size = 100
        layers.append(torch.nn.Linear(size, 10))
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(len(x))
        for i in range(600):
            idx = order[i * 100:(i + 1) * 100]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), t[idx])
            loss.backward()
            opt.step()

    epoch()
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        epoch()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    print(f"{samples[0]:.1f} {samples[len(samples) // 2]:.1f}")


if __name__ == "__main__":
    main()
