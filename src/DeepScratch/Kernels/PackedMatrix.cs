namespace DeepScratch.Kernels;

/// <summary>
/// The B operand of a GEMM rearranged for the micro-kernel: column panels <see cref="PanelWidth"/> wide, each panel
/// row-major over k and zero-padded past the last column, so the kernel reads B as one contiguous stream.
/// Weights are packed once and reused by every batch.
/// </summary>
internal sealed unsafe class PackedMatrix
{
    /// <summary>Columns per panel: two 8-float vectors.</summary>
    public const int PanelWidth = 16;

    private PackedMatrix(int rows, int columns, float[] data, bool allFinite)
    {
        Rows = rows;
        Columns = columns;
        Data = data;
        AllFinite = allFinite;
    }

    /// <summary>
    /// A k x n operand its caller wrote straight into panel layout in <paramref name="data"/> (at least
    /// <see cref="PackedLength"/> floats). Not checked for finiteness, so the kernels never skip zero steps with it.
    /// </summary>
    public static PackedMatrix FromPanels(int k, int n, float[] data) =>
        data.Length >= PackedLength(k, n) ? new PackedMatrix(k, n, data, allFinite: false)
        : throw new ArgumentException($"A {k} x {n} packed operand needs {PackedLength(k, n)} floats; got {data.Length}.", nameof(data));

    /// <summary>k: the rows of op(B).</summary>
    public int Rows { get; }

    /// <summary>n: the columns of op(B).</summary>
    public int Columns { get; }

    /// <summary>Panel q holds element (p, j) at <c>q·k·16 + p·16 + (j − 16q)</c>.</summary>
    public float[] Data { get; }

    /// <summary>
    /// Whether every packed value was finite when packed. Skipping k steps where A is 0 is exact only then
    /// (0·w = 0 for finite w, but 0·NaN and 0·∞ are NaN), so the kernels skip only when this is true.
    /// </summary>
    public bool AllFinite { get; private set; }

    /// <summary>Floats needed to pack a k x n operand.</summary>
    public static int PackedLength(int k, int n) => checked(k * ((n + PanelWidth - 1) / PanelWidth) * PanelWidth);

    /// <summary>Packs op(B) (k x n) into <paramref name="buffer"/> when it is large enough, else into a new array.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n, float[]? buffer = null)
    {
        CheckFits(b, ldb, transB, k, n);
        int length = PackedLength(k, n);
        var data = buffer is not null && buffer.Length >= length ? buffer : new float[length];
        Fill(b, ldb, transB, k, n, data);
        // Checked on the packed copy, which is what the kernels read (the padding is zeros, so it cannot matter).
        bool allFinite = System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(data.AsSpan(0, length));
        return new PackedMatrix(k, n, data, allFinite);
    }

    /// <summary>
    /// Packs op(B) (k x n) into <paramref name="target"/>'s own storage when it already is a k x n pack, without
    /// allocating (a layer repacks its weights or a batch's gradient every iteration), else into a new pack.
    /// </summary>
    internal static void PackInto([System.Diagnostics.CodeAnalysis.NotNull] ref PackedMatrix? target, ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n)
    {
        if (target is null || target.Rows != k || target.Columns != n)
        {
            target = Pack(b, ldb, transB, k, n, target?.Data);
            return;
        }

        CheckFits(b, ldb, transB, k, n);
        Fill(b, ldb, transB, k, n, target.Data);
        target.AllFinite = System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(target.Data.AsSpan(0, PackedLength(k, n)));
    }

    /// <summary>Writes the panels of op(B) into <paramref name="data"/> (at least <see cref="PackedLength"/> floats).</summary>
    private static void Fill(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n, float[] data)
    {
        fixed (float* pb = b)
        fixed (float* pd = data)
        {
            PanelPacking.PackPanels(pb, ldb, transB, k, n, pd);
        }
    }

    /// <summary>Refuses a B that does not fit in <paramref name="b"/>: the panels are read through pointers.</summary>
    private static void CheckFits(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n)
    {
        int storedRows = transB == Transpose.No ? k : n, storedColumns = transB == Transpose.No ? n : k;
        if (k < 0 || n < 0 || (storedRows > 0 && storedColumns > 0 && (ldb < storedColumns || (long)(storedRows - 1) * ldb + storedColumns > b.Length)))
        {
            throw new ArgumentException($"B ({storedRows} x {storedColumns}, leading dimension {ldb}) does not fit in its {b.Length} elements.", nameof(b));
        }
    }

    /// <summary>A bias vector padded with zeros to whole panels, as the fused epilogue reads it.</summary>
    public static float[] PadBias(ReadOnlySpan<float> bias)
    {
        var padded = new float[(bias.Length + PanelWidth - 1) / PanelWidth * PanelWidth];
        bias.CopyTo(padded);
        return padded;
    }
}
