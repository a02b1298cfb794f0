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
        Offset = AlignedOffset(data);
        AllFinite = allFinite;
    }

    /// <summary>Bytes the panels start on: a cache line, so that no 16-float load of a panel spans two lines.</summary>
    public const int Alignment = 64;

    /// <summary>
    /// Storage for <paramref name="length"/> packed floats: pinned (it never moves, so its alignment holds) with room
    /// to start the panels on a cache line. .NET arrays start 16 or 24 bytes past one, which made every 16-float load
    /// of B touch two lines.
    /// </summary>
    public static float[] Allocate(int length) => GC.AllocateArray<float>(checked(length + Alignment / sizeof(float)), pinned: true);

    /// <summary>
    /// <paramref name="kept"/> when it holds <paramref name="length"/> packed floats, else new storage from
    /// <see cref="Allocate"/> kept in its place: a per-thread buffer that packs are made in again and again.
    /// </summary>
    public static float[] Keep(ref float[]? kept, int length) => Fits(kept, length) ? kept! : kept = Allocate(length);

    /// <summary>Whether <paramref name="data"/> (storage from <see cref="Allocate"/>, never another array) holds <paramref name="length"/> packed floats after its alignment slack.</summary>
    private static bool Fits(float[]? data, int length) =>
        data is not null && data.Length >= checked(length + Alignment / sizeof(float));

    /// <summary>The index of the first element of <paramref name="data"/> on a cache line (fixed for good: the storage is pinned).</summary>
    private static int AlignedOffset(float[] data)
    {
        long address = (long)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data));
        return (int)((Alignment - address % Alignment) % Alignment / sizeof(float));
    }

    /// <summary>
    /// A k x n operand its caller writes straight into panel layout at <see cref="Pointer"/>, in <paramref name="data"/>
    /// from <see cref="Allocate"/> (only pinned storage keeps its address and alignment). Not checked for finiteness,
    /// so the kernels never skip zero steps with it.
    /// </summary>
    public static PackedMatrix FromPanels(int k, int n, float[] data) =>
        Fits(data, PackedLength(k, n)) ? new PackedMatrix(k, n, data, allFinite: false)
        : throw new ArgumentException($"A {k} x {n} packed operand needs {PackedLength(k, n)} floats of storage from Allocate; got {data.Length}.", nameof(data));

    /// <summary>k: the rows of op(B).</summary>
    public int Rows { get; }

    /// <summary>n: the columns of op(B).</summary>
    public int Columns { get; }

    /// <summary>The storage: panel q holds element (p, j) at <c><see cref="Offset"/> + q·k·16 + p·16 + (j − 16q)</c>.</summary>
    public float[] Data { get; }

    /// <summary>Where the panels start in <see cref="Data"/>: the first element on a cache line.</summary>
    public int Offset { get; }

    /// <summary>The first panel's first element (the storage is pinned: the address holds while this pack is alive).</summary>
    public float* Pointer => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref Data[Offset]);

    /// <summary>The packed floats (<see cref="PackedLength"/> of them).</summary>
    public Span<float> Panels => Data.AsSpan(Offset, PackedLength(Rows, Columns));

    /// <summary>
    /// Whether every packed value was finite when packed. Skipping k steps where A is 0 is exact only then
    /// (0·w = 0 for finite w, but 0·NaN and 0·∞ are NaN), so the kernels skip only when this is true.
    /// </summary>
    public bool AllFinite { get; private set; }

    /// <summary>Floats needed to pack a k x n operand.</summary>
    public static int PackedLength(int k, int n) => checked(k * ((n + PanelWidth - 1) / PanelWidth) * PanelWidth);

    /// <summary>Packs op(B) (k x n) into <paramref name="buffer"/> (a previous pack's <see cref="Data"/>) when it is large enough, else into new storage.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n, float[]? buffer = null)
    {
        CheckFits(b, ldb, transB, k, n);
        int length = PackedLength(k, n);
        var data = Fits(buffer, length) ? buffer! : Allocate(length);
        var packed = new PackedMatrix(k, n, data, allFinite: false);
        Fill(b, ldb, transB, k, n, packed.Pointer);
        // Checked on the packed copy, which is what the kernels read (the padding is zeros, so it cannot matter).
        packed.AllFinite = System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(packed.Panels);
        return packed;
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
        Fill(b, ldb, transB, k, n, target.Pointer);
        target.AllFinite = System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(target.Panels);
    }

    /// <summary>Writes the panels of op(B) at <paramref name="panels"/> (at least <see cref="PackedLength"/> floats).</summary>
    private static void Fill(ReadOnlySpan<float> b, int ldb, Transpose transB, int k, int n, float* panels)
    {
        fixed (float* pb = b)
        {
            PanelPacking.PackPanels(pb, ldb, transB, k, n, panels);
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
