#!/usr/bin/python3
"""One training epoch in PyTorch, for the benchmark's side-by-side training figures.

Usage: bench_train_torch.py two-layer|multi-layer|simple-cnn|deep-cnn FASHION_DIR [--threads N]
  two-layer:   the book's TwoLayerNet shape 784-50-10 (Affine-ReLU-Affine, softmax cross-entropy), SGD lr 0.1
  multi-layer: MultiLayerNetExtend's shape 784-100-100-100-100-10, BatchNorm, ReLU, Adam lr 0.001
  simple-cnn:  the book's SimpleConvNet (Conv 30 5x5 - ReLU - Pool 2 - Affine 4320-100 - ReLU - Affine 100-10),
               Adam lr 0.001, 100 iterations (not an epoch)
  deep-cnn:    the book's DeepConvNet (layer list in shared/data/README.md, Dropout 0.5), Adam lr 0.001
Weights use PyTorch's default initialisation: the script times the same work per epoch as DeepScratch, it does not
reproduce the book's learning curve.
Each: 600 iterations of batch 100 (one epoch of the 60,000 Fashion-MNIST training images; simple-cnn: 100), forward
+ backward + update, on N threads (torch.set_num_threads; default 2, the machine's cores; the benchmark runs 1 and 2
and compares with the faster). Prints "best_ms median_ms" over 5 runs after one warm-up run (deep-cnn: 3 runs after a
warm-up of 50 iterations, an epoch there takes tens of seconds).
"""
import argparse
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
    parser = argparse.ArgumentParser(description="One PyTorch training epoch, timed.")
    parser.add_argument("kind", choices=["two-layer", "multi-layer", "simple-cnn", "deep-cnn"])
    parser.add_argument("folder", help="the Fashion-MNIST folder (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    kind, folder = args.kind, args.folder
    x, t = load(folder)
    nn = torch.nn
    iterations, runs, warmup = 600, 5, 600
    if kind in ("simple-cnn", "deep-cnn"):
        x = x.reshape(-1, 1, 28, 28)
    if kind == "simple-cnn":
        model = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
        iterations, warmup = 100, 100
    elif kind == "deep-cnn":
        def conv(c_in, c_out, pad=1):
            return [nn.Conv2d(c_in, c_out, 3, padding=pad), nn.ReLU()]
        model = nn.Sequential(*conv(1, 16), *conv(16, 16), nn.MaxPool2d(2), *conv(16, 32), *conv(32, 32, pad=2),
                              nn.MaxPool2d(2), *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(1024, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10), nn.Dropout(0.5))
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
        runs, warmup = 3, 50
    elif kind == "two-layer":
        model = torch.nn.Sequential(torch.nn.Linear(784, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    elif kind == "multi-layer":
        layers, size = [], 784
        for _ in range(4):
            layers += [torch.nn.Linear(size, 100), torch.nn.BatchNorm1d(100), torch.nn.ReLU()]
            size = 100
        layers.append(torch.nn.Linear(size, 10))
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
    else:
        sys.exit(f"unknown kind {kind}")
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(count=iterations):
        order = torch.randperm(len(x))
        for i in range(count):
            idx = order[i * 100:(i + 1) * 100]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), t[idx])
            loss.backward()
            opt.step()

    epoch(warmup)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        epoch()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    print(f"{samples[0]:.1f} {samples[len(samples) // 2]:.1f}")


if __name__ == "__main__":
    main()
