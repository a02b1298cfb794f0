namespace DeepScratch.Serialization;

/// <summary>
/// One numpy array read from a pickle: how it was stored, and its values as a row-major float32 tensor.
/// </summary>
/// <param name="Name">
/// The array's path in the pickled object: a dict key, <c>outer.inner</c> for nested dicts, <c>list.0</c> for list
/// items, <c>0</c>, <c>1</c>, ... for a top-level list or tuple, and <c>array</c> for a bare array.
/// </param>
/// <param name="Shape">The array's shape; empty for a 0-d array or numpy scalar.</param>
/// <param name="DType">numpy's dtype string with byte order, e.g. <c>&lt;f4</c>, <c>&gt;f8</c>, <c>|u1</c>, <c>|b1</c>.</param>
/// <param name="FortranOrder">
/// Whether the file stored the data column-major. Reported for information only: <see cref="Tensor"/> is always
/// row-major, already rearranged.
/// </param>
/// <param name="Tensor">The values converted to float32 in row-major (C) order, whatever the stored type and order.</param>
public sealed record NumpyArray(string Name, int[] Shape, string DType, bool FortranOrder, Tensor Tensor);
