#!/usr/bin/python3
"""Chapter 8's half_float_network.py for the book's three networks, in numpy: accuracy with float32 weights and with
the weights rounded to float16 (astype(np.float16), computed in float32), as an oracle for `deepscratch eval --half`.

Usage: half_eval.py DATA_DIR   (Debian's python3-numpy; run with /usr/bin/python3)
"""
import gzip
import pickle
import sys

import numpy as np


def load_test(data_dir):
    with gzip.open(f"{data_dir}/mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{data_dir}/mnist/t10k-labels-idx1-ubyte.gz", "rb") as f:
        t = np.frombuffer(f.read(), np.uint8, offset=8)
    return x.astype(np.float32) / 255.0, t


def im2col(x, fh, fw, stride=1, pad=0):
    # common/util.py of the book
    n, c, h, w = x.shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, fh, fw, oh, ow), dtype=x.dtype)
    for y in range(fh):
        for xx in range(fw):
            col[:, :, y, xx, :, :] = img[:, :, y:y + stride * oh:stride, xx:xx + stride * ow:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1), oh, ow


def conv(x, w, b, pad):
    fn, c, fh, fwid = w.shape
    col, oh, ow = im2col(x, fh, fwid, 1, pad)
    out = col @ w.reshape(fn, -1).T + b
    return out.reshape(x.shape[0], oh, ow, -1).transpose(0, 3, 1, 2)


def pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def relu(x):
    return np.maximum(x, 0)


def mlp(p, x):
    s = lambda a: 1 / (1 + np.exp(-a))
    return s(s(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]


def simple(p, x):
    h = pool(relu(conv(x.reshape(-1, 1, 28, 28), p["W1"], p["b1"], 0)))
    return relu(h.reshape(h.shape[0], -1) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]


def deep(p, x):
    h = x.reshape(-1, 1, 28, 28)
    for i, pad, pooled in [(1, 1, False), (2, 1, True), (3, 1, False), (4, 2, True), (5, 1, False), (6, 1, True)]:
        h = relu(conv(h, p[f"W{i}"], p[f"b{i}"], pad))
        if pooled:
            h = pool(h)
    h = relu(h.reshape(h.shape[0], -1) @ p["W7"] + p["b7"]) * 0.5
    return (h @ p["W8"] + p["b8"]) * 0.5


def accuracy(forward, p, x, t):
    right = 0
    for i in range(0, len(x), 100):
        right += int(np.sum(np.argmax(forward(p, x[i:i + 100]), axis=1) == t[i:i + 100]))
    return right


def main():
    data_dir = sys.argv[1]
    x, t = load_test(data_dir)
    for name, forward in [("sample_weight.pkl", mlp), ("params.pkl", simple), ("deep_convnet_params.pkl", deep)]:
        with open(f"{data_dir}/weights/{name}", "rb") as f:
            p = pickle.load(f)
        p32 = {k: np.asarray(v, dtype=np.float32) for k, v in p.items()}
        p16 = {k: v.astype(np.float16).astype(np.float32) for k, v in p32.items()}
        print(f"{name}: float32 {accuracy(forward, p32, x, t)} / {len(x)}, float16 weights {accuracy(forward, p16, x, t)} / {len(x)}", flush=True)


if __name__ == "__main__":
    main()
