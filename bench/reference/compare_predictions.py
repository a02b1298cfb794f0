#!/usr/bin/python3
"""Compares two prediction CSVs (deepscratch eval --predictions vs book_eval.py) image by image.

Usage: compare_predictions.py OURS.csv NUMPY.csv
Prints how many predicted classes differ and the largest probability difference; exits 1 if any class differs.
"""
import csv
import sys


def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def main():
    head_a, a = read(sys.argv[1])
    head_b, b = read(sys.argv[2])
    assert head_a == head_b, f"headers differ: {head_a} vs {head_b}"
    assert len(a) == len(b), f"{len(a)} rows vs {len(b)}"
    class_diffs = [i for i, (ra, rb) in enumerate(zip(a, b)) if ra[:3] != rb[:3]]
    max_diff = max(abs(float(x) - float(y)) for ra, rb in zip(a, b) for x, y in zip(ra[3:], rb[3:]))
    print(f"images: {len(a)}, predicted class differs: {len(class_diffs)}, max |p - p_numpy|: {max_diff:.3g}")
    if class_diffs:
        print("first differing images:", class_diffs[:10])
        sys.exit(1)


if __name__ == "__main__":
    main()
