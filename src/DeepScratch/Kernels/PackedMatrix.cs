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

        Fill(b, ldb, transB, k, n, target.Data);
        target.AllFinite = System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(target.Data.AsSpan(0, PackedLength(k, n)));
    }

    /// <summary>Writes the panels of op(B) into <paramref name="data"/> (at least <see cref="PackedLength"/> floats).</summary>
    private static void Fill(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n, float[] data)
    {
        int panels = (n + PanelWidth - 1) / PanelWidth;
        if ((long)k * n < ParallelPackThreshold || Environment.ProcessorCount < 2)
        {
            for (int q = 0; q < panels; q++)
            {
                PackPanel(b, ldb, transB, k, n, q, data);
            }
        }
        else
        {
            fixed (float* pb = b)
            {
                FillInParallel((nint)pb, b.Length, ldb, transB, k, n, panels, data);
            }
        }
    }

    // A method of its own: the lambda's captured variables would otherwise be allocated on every call of Fill, small
    // packs included (a training step packs ten small operands per iteration).
    private static void FillInParallel(nint source, int sourceLength, int ldb, Transpose transB, int k, int n, int panels, float[] data) =>
        Parallel.For(0, panels, q => PackPanel(new ReadOnlySpan<float>((float*)source, sourceLength), ldb, transB, k, n, q, data));

    /// <summary>Above this many elements the panels are packed in parallel (a 2048 x 2048 B is 16 MB to move).</summary>
    private const long ParallelPackThreshold = 1 << 20;

    private static void PackPanel(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n, int q, float[] data)
    {
        int j0 = q * PanelWidth;
        int width = Math.Min(PanelWidth, n - j0);
        var panel = data.AsSpan(q * k * PanelWidth, k * PanelWidth);
        for (int p = 0; p < k; p++)
        {
            var dst = panel.Slice(p * PanelWidth, PanelWidth);
            if (transB == Transpose.No)
            {
                b.Slice(p * ldb + j0, width).CopyTo(dst);
            }
            else
            {
                for (int j = 0; j < width; j++)
                {
                    dst[j] = b[(j0 + j) * ldb + p];
                }
            }

            dst[width..].Clear();
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
