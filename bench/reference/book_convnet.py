"""The book's forward pass (ch07 simple_convnet.py, ch08 deep_convnet.py, common/layers.py, common/util.py) in numpy,
over the MNIST test set: one line per image, "index,predicted,margin" (margin = top score - second score).

Usage: /usr/bin/python3 bench/reference/book_convnet.py WEIGHTS.pkl MNIST_DIR > predictions.csv
The network is chosen by the pickle's array names, as the book's files hold them. Run by
tests/DeepScratch.Tests/Cli/BookPickleCliTests.cs to check DeepScratch's --predictions image by image."""
import gzip
import pickle
import sys

import numpy as np


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def conv(x, W, b, stride, pad):
    FN, C, FH, FW = W.shape
    N, C, H, Wd = x.shape
    out_h = 1 + int((H + 2 * pad - FH) / stride)
    out_w = 1 + int((Wd + 2 * pad - FW) / stride)
    col = im2col(x, FH, FW, stride, pad)
    out = np.dot(col, W.reshape(FN, -1).T) + b
    return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)


def pool(x, ph=2, pw=2, stride=2, pad=0):
    N, C, H, W = x.shape
    out_h = int(1 + (H - ph) / stride)
    out_w = int(1 + (W - pw) / stride)
    col = im2col(x, ph, pw, stride, pad).reshape(-1, ph * pw)
    return np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)


def affine(x, W, b):
    return np.dot(x.reshape(x.shape[0], -1), W) + b


def relu(x):
    return np.maximum(x, 0)


def simple_convnet(p, x):
    x = pool(relu(conv(x, p['W1'], p['b1'], 1, 0)))
    x = relu(affine(x, p['W2'], p['b2']))
    return affine(x, p['W3'], p['b3'])


def deep_convnet(p, x):
    pads = [1, 1, 1, 2, 1, 1]
    for i in range(6):
        x = relu(conv(x, p['W%d' % (i + 1)], p['b%d' % (i + 1)], 1, pads[i]))
        if i % 2 == 1:
            x = pool(x)
    x = relu(affine(x, p['W7'], p['b7'])) * (1.0 - 0.5)  # Dropout at inference, train_flg=False
    return affine(x, p['W8'], p['b8']) * (1.0 - 0.5)


def main():
    weights, mnist = sys.argv[1], sys.argv[2]
    with open(weights, 'rb') as f:
        params = pickle.load(f)
    with gzip.open(mnist + '/t10k-images-idx3-ubyte.gz', 'rb') as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    x_all = images.astype(np.float32) / 255.0  # the book's load_mnist(normalize=True)
    forward = deep_convnet if 'W8' in params else simple_convnet
    out = sys.stdout
    for start in range(0, len(x_all), 500):
        y = forward(params, x_all[start:start + 500])
        order = np.argsort(-y, axis=1, kind='stable')
        for i in range(y.shape[0]):
            top, second = order[i, 0], order[i, 1]
            out.write('%d,%d,%.9g\n' % (start + i, top, y[i, top] - y[i, second]))


if __name__ == '__main__':
    main()
