#!/usr/bin/python3
"""The book's chapter 3 inference (neuralnet_mnist_batch.py) in numpy, as a side-by-side reference.

Usage: book_eval.py DATA_DIR [OUT.csv|-] [--batch-size N]
Reads DATA_DIR/mnist/t10k-*.gz and DATA_DIR/weights/sample_weight.pkl, prints the accuracy and writes
index,label,predicted,p0..p9 for every test image (the format of `deepscratch eval --predictions`) to OUT.csv.
Without OUT, or with "-", no CSV is written: the script does only the book's work (the benchmark times it so).
Needs Debian's python3-numpy (apt-get install -y python3-numpy); run with /usr/bin/python3.
"""
import gzip
import pickle
import sys

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    # common/functions.py of the book
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def predict(network, x):
    W1, W2, W3 = network['W1'], network['W2'], network['W3']
    b1, b2, b3 = network['b1'], network['b2'], network['b3']
    a1 = np.dot(x, W1) + b1
    z1 = sigmoid(a1)
    a2 = np.dot(z1, W2) + b2
    z2 = sigmoid(a2)
    a3 = np.dot(z2, W3) + b3
    return softmax(a3)


def load_test(data_dir):
    with gzip.open(f"{data_dir}/mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{data_dir}/mnist/t10k-labels-idx1-ubyte.gz", "rb") as f:
        t = np.frombuffer(f.read(), np.uint8, offset=8)
    return x.astype(np.float32) / 255.0, t


def main():
    # sys.argv by hand, not argparse: the benchmark times this script's wall time, and argparse's import is not the book's work.
    args = sys.argv[1:]
    batch_size = 100
    if "--batch-size" in args:
        at = args.index("--batch-size")
        if at + 1 >= len(args) or not args[at + 1].isdigit() or int(args[at + 1]) < 1:
            sys.exit("book_eval.py: --batch-size needs a whole number of at least 1")
        batch_size = int(args[at + 1])
        del args[at:at + 2]
    if len(args) not in (1, 2):
        sys.exit("usage: book_eval.py DATA_DIR [OUT.csv|-] [--batch-size N]")
    data_dir, out = args[0], args[1] if len(args) == 2 else "-"
    x, t = load_test(data_dir)
    with open(f"{data_dir}/weights/sample_weight.pkl", "rb") as f:
        network = pickle.load(f)
    ys = np.concatenate([predict(network, x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    p = np.argmax(ys, axis=1)
    print("Accuracy:" + str(float(np.sum(p == t)) / len(x)))
    if out == "-":
        return
    with open(out, "w") as f:
        f.write("index,label,predicted," + ",".join(f"p{c}" for c in range(10)) + "\n")
        for i in range(len(x)):
            f.write(f"{i},{t[i]},{p[i]}," + ",".join(repr(float(v)) for v in ys[i]) + "\n")


if __name__ == "__main__":
    main()
