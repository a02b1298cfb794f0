#!/usr/bin/python3
"""Write tests/DeepScratch.Tests/Serialization/PickleFixtures.cs: small numpy pickles and what they hold.

Each fixture is pickled by the real numpy and pickle modules, embedded as base64, and listed with every
array the C# loader must find in it: name, shape, dtype string, storage order and the values converted
to float32 in row-major order (numpy's astype(np.float32).ravel(order='C')).

    /usr/bin/python3 bench/reference/make_pickle_fixtures.py [OUTPUT.cs]

Needs numpy (Debian: apt-get install -y python3-numpy). The fixtures cover protocols 2 to 5, every dtype
the loader converts, both byte orders, Fortran order, 0-d arrays and numpy scalars, empty arrays, nested
containers and OrderedDict. numpy 2 module names (numpy._core) are tested with hand-built pickles in C#,
since this generator uses whatever numpy is installed.
"""

import base64
import collections
import math
import os
import pickle
import platform
import sys
import textwrap
import warnings

import numpy as np


def fortran(a):
    return np.asfortranarray(a)


def fixtures():
    """(name, protocol, description, object) for every fixture."""
    c23 = np.array([[1.5, -2.25, 3.0], [4.0, 5.5, -6.75]], dtype=np.float32)
    yield ("p2_mixed", 2,
           "protocol 2 from Python 3: bytes arrive as _codecs.encode(str, 'latin1') and empty bytes as bytes()",
           {
               "w": c23,
               "w_fortran": fortran(c23),
               "big_endian": np.array([0.25, -8.0, 1e-3], dtype=">f4"),
               "empty": np.zeros((0, 3), dtype=np.float32),
               "int64": np.array([-7, 2**40 + 1], dtype=np.int64),
           })
    yield ("p3_all_dtypes", 3,
           "protocol 3: every dtype the loader converts, little endian (one-byte types are '|')",
           {
               "f2": np.array([0.5, -2.25, 65504.0, 6.1035156e-05, -0.0], dtype=np.float16),
               "f4": np.array([3.4028235e38, -1.1754944e-38, 0.1, 1e-45], dtype=np.float32),
               "f8": np.array([0.1, -1e300, 1e-50, math.pi, -0.0], dtype=np.float64),
               "i1": np.array([-128, 0, 127], dtype=np.int8),
               "i2": np.array([-32768, 12345, 32767], dtype=np.int16),
               "i4": np.array([-2147483648, 16777217, 2147483647], dtype=np.int32),
               "i8": np.array([-9223372036854775808, 2**53 + 1, 9223372036854775807], dtype=np.int64),
               "u1": np.array([0, 128, 255], dtype=np.uint8),
               "u2": np.array([0, 40000, 65535], dtype=np.uint16),
               "u4": np.array([0, 3000000000, 4294967295], dtype=np.uint32),
               "u8": np.array([0, 2**63, 2**64 - 1], dtype=np.uint64),
               "b1": np.array([True, False, True, True], dtype=np.bool_),
           })
    yield ("p4_big_endian", 4,
           "protocol 4: big-endian data ('>'), which must be byte-swapped",
           {
               "f4": np.array([[1.0, -2.5], [1e-3, 4096.0]], dtype=">f4"),
               "i4": np.array([-1, 65536, 2**31 - 1], dtype=">i4"),
               "f8": np.array([-0.1, 1e10], dtype=">f8"),
               "f2": np.array([1.5, -3.0], dtype=">f2"),
               "u2": np.array([1, 65535], dtype=">u2"),
               "i8": np.array([-2, 2**40], dtype=">i8"),
           })
    a34 = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 2
    yield ("p4_fortran", 4,
           "protocol 4: column-major (Fortran) arrays, which must come out row-major",
           {
               "c": a34,
               "f": fortran(a34),
               "f3d": fortran(np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 10),
               "f_f8": fortran(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float64)),
               "f_big_endian": fortran(np.array([[1, 2], [3, 4], [5, 6]], dtype=">i4")),
           })
    yield ("p4_zero_d_and_empty", 4,
           "protocol 4: 0-d arrays, numpy scalars (numpy.core.multiarray.scalar) and arrays with a zero dimension",
           {
               "zero_d": np.array(3.5, dtype=np.float32),
               "scalar_f8": np.float64(-1.25),
               "scalar_i4": np.int32(-9),
               "scalar_bool": np.bool_(True),
               "empty": np.zeros((0, 3), dtype=np.float32),
               "empty_3d": np.zeros((2, 0, 4), dtype=np.int64),
           })
    yield ("p5_in_band", 5,
           "protocol 5: contiguous arrays are written as _frombuffer(bytearray, dtype, shape, order)",
           {
               "c": c23,
               "f": fortran(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float64)),
               "zero_d": np.array(7, dtype=np.int16),
               "scalar": np.float64(-1.25),
               "empty": np.zeros((0, 3), dtype=np.float32),
               "bool": np.array([True, False], dtype=np.bool_),
               "big_endian": np.array([[0.5, 1.0], [-1.5, 2.0]], dtype=">f4"),
               "strided": np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2],
           })
    yield ("p3_nested", 3,
           "protocol 3: nested dicts, a list and a tuple, with one array shared by two names",
           {
               "outer": {"inner": np.array([1.0, 2.0], dtype=np.float32),
                         "deeper": {"x": np.array([[3]], dtype=np.uint8)}},
               "list": [np.array([4.0], dtype=np.float64), np.array([5, 6], dtype=np.int8)],
               "tuple": (np.array([7.0], dtype=np.float32),),
               "shared": [c23, c23],
           })
    yield ("p4_ordered_dict", 4,
           "protocol 4: collections.OrderedDict keeps its insertion order",
           collections.OrderedDict([("second", np.array([2.0], dtype=np.float32)),
                                    ("first", np.array([1.0], dtype=np.float32))]))
    yield ("p2_ordered_dict", 2,
           "protocol 2: collections.OrderedDict, with bytes via _codecs.encode",
           collections.OrderedDict([("b", np.array([-1.0, 1.0], dtype=np.float64)),
                                    ("a", np.array([[1, 2]], dtype=np.int32))]))
    yield ("p4_bare_array", 4,
           "protocol 4: a bare array at the top level is named 'array'",
           np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    yield ("p3_top_list", 3,
           "protocol 3: a list at the top level names its arrays '0', '1', ...",
           [np.array([1.0], dtype=np.float32), np.array([2, 3], dtype=np.int16)])
    yield ("p5_top_tuple", 5,
           "protocol 5: a tuple at the top level, holding a dict",
           (np.array([1.0], dtype=np.float32), {"k": np.array([2.0, 3.0], dtype=np.float64)}))


def named_arrays(obj, prefix=None):
    """The loader's naming rule: dict keys, list/tuple indices, joined by '.'; a bare array is 'array'."""
    if isinstance(obj, (np.ndarray, np.generic)):
        yield (prefix or "array", np.asarray(obj), obj)
        return
    if isinstance(obj, dict):
        items = ((str(k), v) for k, v in obj.items())
    else:
        items = ((str(i), v) for i, v in enumerate(obj))
    for key, value in items:
        yield from named_arrays(value, key if prefix is None else prefix + "." + key)


def stored_in_fortran_order(original):
    """What the pickle records: numpy writes column-major data only for F- but not C-contiguous arrays."""
    if isinstance(original, np.generic):
        return False
    return bool(original.flags.f_contiguous and not original.flags.c_contiguous)


def csharp_float(value):
    v = np.float32(value)
    if np.isnan(v):
        return "float.NaN"
    if np.isinf(v):
        return "float.PositiveInfinity" if v > 0 else "float.NegativeInfinity"
    text = str(v)  # numpy's shortest repr that round-trips float32
    return text + "f"


def csharp_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def csharp_fixture(name, protocol, description, obj):
    data = pickle.dumps(obj, protocol=protocol)
    b64 = "\n".join(textwrap.wrap(base64.b64encode(data).decode("ascii"), 100))
    arrays = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float64 -> float32 overflow to inf is intended (-1e300)
        for array_name, array, original in named_arrays(obj):
            values = array.astype(np.float32).ravel(order="C")
            shape = ", ".join(str(d) for d in array.shape)
            floats = ", ".join(csharp_float(x) for x in values)
            arrays.append(
                f"            new({csharp_string(array_name)}, [{shape}], {csharp_string(array.dtype.str)}, "
                f"{'true' if stored_in_fortran_order(original) else 'false'}, [{floats}]),")
    field = "".join(part.capitalize() for part in name.split("_"))
    indented_b64 = textwrap.indent(b64, "            ")
    return field, f'''    /// <summary>{description}.</summary>
    public static readonly PickleFixture {field} = new(
        {csharp_string(name)},
        {protocol},
        """
{indented_b64}
            """,
        [
{chr(10).join(arrays)}
        ]);
'''


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "..", "tests", "DeepScratch.Tests", "Serialization", "PickleFixtures.cs")
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else default_out)
    fields, bodies = [], []
    for fixture in fixtures():
        field, body = csharp_fixture(*fixture)
        fields.append(field)
        bodies.append(body)
    listing = ", ".join(fields)
    text = f'''// Generated by bench/reference/make_pickle_fixtures.py with numpy {np.__version__} and Python {platform.python_version()}.
// Do not edit by hand: change the script and run `/usr/bin/python3 bench/reference/make_pickle_fixtures.py`.
namespace DeepScratch.Tests.Serialization;

/// <summary>Small pickles written by numpy, with every array each one holds (values as float32, row-major).</summary>
internal static class PickleFixtures
{{
{chr(10).join(bodies)}
    /// <summary>Every fixture above.</summary>
    public static IReadOnlyList<PickleFixture> All {{ get; }} = [{listing}];
}}
'''
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {len(fields)} fixtures to {out}")


if __name__ == "__main__":
    main()
