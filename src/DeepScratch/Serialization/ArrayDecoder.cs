namespace DeepScratch.Serialization;

/// <summary>
/// Turns a numpy array's pieces (shape, dtype, storage order, raw bytes) into a row-major float32
/// <see cref="Tensor"/>, checking that the pieces agree before anything is allocated.
/// </summary>
internal static class ArrayDecoder
{
    /// <summary>numpy 2 allows 64 dimensions (numpy 1: 32).</summary>
    private const int MaxRank = 64;

    /// <summary>
    /// Reads a shape tuple (a list is accepted too): every dimension a non-negative int that fits in <see cref="int"/>.
    /// </summary>
    public static int[] ReadShape(object? value, string what)
    {
        IReadOnlyList<object?> dims = value switch
        {
            object?[] tuple => tuple,
            List<object?> list => list,
            _ => throw new PickleException($"{what} is {PickleValue.Describe(value)}, not a tuple of ints", PickleException.Corrupt),
        };
        if (dims.Count > MaxRank)
        {
            throw new PickleException($"{what} has {dims.Count} dimensions; numpy allows at most {MaxRank}", PickleException.Corrupt);
        }

        var shape = new int[dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            long dim = PickleValue.AsInt64(dims[i], $"dimension {i} of {what}");
            if (dim < 0 || dim > int.MaxValue)
            {
                throw new PickleException($"dimension {i} of {what} is {dim}", PickleException.Corrupt);
            }

            shape[i] = (int)dim;
        }

        return shape;
    }

    /// <summary>
    /// Decodes <paramref name="raw"/> into an array named later. Fortran-ordered data (first index fastest) is
    /// rearranged into row-major order, because a <see cref="Tensor"/> is always row-major and reading column-major
    /// weights as row-major gives the right shape with scrambled values.
    /// </summary>
    public static NumpyArray Decode(int[] shape, NumpyDType dtype, bool fortranOrder, ReadOnlySpan<byte> raw, AllocationBudget budget)
    {
        int count = CheckElementCount(shape, dtype, raw.Length);
        budget.Charge((long)count * sizeof(float), shape, static s => $"an array of shape {Tensor.FormatShape(s)}");
        var values = new float[count];
        dtype.ToFloat32(raw, values);
        if (fortranOrder && shape.Length > 1 && count > 0)
        {
            values = FortranToRowMajor(values, shape);
        }

        return new NumpyArray("", shape, dtype.Str, fortranOrder, Tensor.FromStored(values, shape));
    }

    /// <summary>
    /// The number of elements, after checking that the shape describes exactly the bytes given. The product is
    /// formed in saturating long arithmetic, so a hostile shape such as (10^6, 10^6, 10^6) cannot overflow into a
    /// small positive number that happens to match.
    /// </summary>
    private static int CheckElementCount(int[] shape, NumpyDType dtype, int rawLength)
    {
        long needed = BytesNeeded(shape, dtype.ItemSize);
        if (needed != rawLength)
        {
            string amount = needed == long.MaxValue ? "more than 2^63" : needed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new PickleException(
                $"an array of shape {Tensor.FormatShape(shape)} and dtype {dtype.Str} needs {amount} bytes but its data holds {rawLength} bytes",
                PickleException.Corrupt);
        }

        long count = needed / dtype.ItemSize;
        if (count == 0 && EmptyShapeProblem(shape) is { } problem)
        {
            throw new PickleException(problem, EmptyShapeAdvice);
        }

        if (count > Array.MaxLength)
        {
            throw new PickleException($"an array of shape {Tensor.FormatShape(shape)} has more elements than one .NET array can hold",
                "split it into smaller arrays.");
        }

        return (int)count;
    }

    /// <summary>What to do about an empty array whose shape cannot be held (see <see cref="EmptyShapeProblem"/>).</summary>
    internal const string EmptyShapeAdvice = "such an empty array cannot be loaded; save it with a smaller shape or leave it out.";

    /// <summary>
    /// Why an empty shape such as (65536, 65536, 0) cannot become a <see cref="Tensor"/>, or null. numpy accepts any
    /// shape with a zero in it, but a tensor's strides are products of the later dimensions and its length is checked
    /// as a running product, so the dimensions before the first zero must multiply to at most one array's length.
    /// </summary>
    internal static string? EmptyShapeProblem(ReadOnlySpan<int> shape)
    {
        if (!shape.Contains(0))
        {
            return null;
        }

        long product = 1;
        foreach (int dim in shape)
        {
            if (dim == 0)
            {
                return null;
            }

            product *= dim;
            if (product > Array.MaxLength)
            {
                return $"an empty array of shape {ShapeText(shape)}: the dimensions before its 0 multiply to more elements than one array can hold";
            }
        }

        return null;
    }

    /// <summary>A shape for a message; a hostile file can list many dimensions, so long ones are summarized.</summary>
    internal static string ShapeText(ReadOnlySpan<int> shape) =>
        shape.Length <= 8 ? Tensor.FormatShape(shape) : $"{Tensor.FormatShape(shape[..8])[..^1]}, ...) ({shape.Length} dimensions)";

    /// <summary>Bytes that <paramref name="shape"/> needs, saturating at <see cref="long.MaxValue"/> (a zero dimension still gives 0).</summary>
    private static long BytesNeeded(int[] shape, int itemSize)
    {
        long bytes = itemSize;
        foreach (int dim in shape)
        {
            bytes = dim != 0 && bytes > long.MaxValue / dim ? long.MaxValue : bytes * dim;
        }

        return bytes;
    }

    /// <summary>
    /// Reorders column-major values into row-major. It walks the source in storage order with an index counter whose
    /// first axis runs fastest, and keeps the matching row-major offset up to date as the counter ticks.
    /// </summary>
    private static float[] FortranToRowMajor(float[] columnMajor, int[] shape)
    {
        int rank = shape.Length;
        var rowStrides = new int[rank];
        rowStrides[rank - 1] = 1;
        for (int axis = rank - 2; axis >= 0; axis--)
        {
            rowStrides[axis] = rowStrides[axis + 1] * shape[axis + 1];
        }

        var rowMajor = new float[columnMajor.Length];
        var index = new int[rank];
        int offset = 0;
        foreach (float value in columnMajor)
        {
            rowMajor[offset] = value;
            for (int axis = 0; axis < rank; axis++)
            {
                offset += rowStrides[axis];
                if (++index[axis] < shape[axis])
                {
                    break;
                }

                offset -= rowStrides[axis] * shape[axis];
                index[axis] = 0;
            }
        }

        return rowMajor;
    }
}
