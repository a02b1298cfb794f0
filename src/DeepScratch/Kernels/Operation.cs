using System.Runtime.Intrinsics;

namespace DeepScratch.Kernels;

/// <summary>How the A operand is stored.</summary>
internal enum SourceKind
{
    /// <summary>Row-major floats, read in place.</summary>
    Floats,

    /// <summary>Stored transposed (k x m); each row block is transposed into a buffer first.</summary>
    TransposedFloats,

    /// <summary>Row-major bytes (MNIST pixels) divided by 255 as they are converted, exactly as <c>x / 255.0</c> in numpy.</summary>
    PixelBytes,
}

/// <summary>The A operand: where its elements are and how to turn a block of its rows into row-major floats.</summary>
internal readonly unsafe struct MatrixSource
{
    private MatrixSource(SourceKind kind, float* floats, byte* bytes, int stride)
    {
        Kind = kind;
        Floats = floats;
        Bytes = bytes;
        Stride = stride;
    }

    public SourceKind Kind { get; }

    public float* Floats { get; }

    public byte* Bytes { get; }

    /// <summary>Distance between stored rows.</summary>
    public int Stride { get; }

    public static MatrixSource RowMajor(float* a, int lda) => new(SourceKind.Floats, a, null, lda);

    public static MatrixSource Transposed(float* a, int lda) => new(SourceKind.TransposedFloats, a, null, lda);

    public static MatrixSource Pixels(byte* pixels, int stride) => new(SourceKind.PixelBytes, null, pixels, stride);

    /// <summary>Writes rows [start, start + rows) of op(A), k wide, row-major into <paramref name="destination"/>.</summary>
    public void CopyRows(int start, int rows, int k, float* destination)
    {
        if (Kind == SourceKind.TransposedFloats)
        {
            // Row p of the stored matrix holds element p of every wanted row: read it contiguously, write it as a column.
            for (int p = 0; p < k; p++)
            {
                float* src = Floats + (long)p * Stride + start;
                for (int r = 0; r < rows; r++)
                {
                    destination[(long)r * k + p] = src[r];
                }
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            PixelScaling.Normalize(Bytes + (long)(start + r) * Stride, destination + (long)r * k, k);
        }
    }
}

/// <summary>One fast-path GEMM call: C = epilogue(alpha · op(A) · B + beta · C), B already packed.</summary>
internal readonly unsafe struct Operation
{
    /// <summary>An operation on <paramref name="b"/>, whose data the caller has pinned at <paramref name="packedB"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="packedB"/> is not <paramref name="b"/>'s data, or b is not k x n.</exception>
    public Operation(
        int m, int n, int k, MatrixSource a, PackedMatrix b, float* packedB, float alpha, float beta, float* c, int ldc,
        float* bias, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(b);
        // The finiteness flag is only meaningful for the data it was computed on: refuse any other pointer.
        if (packedB != System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(b.Data))
            || b.Rows != k || b.Columns != n)
        {
            throw new ArgumentException($"The packed B ({b.Rows} x {b.Columns}) is not the pinned operand of this {k} x {n} product.", nameof(packedB));
        }

        (M, N, K, A) = (m, n, k, a);
        PackedB = packedB;
        SkipZeroSteps = b.AllFinite;
        (Alpha, Beta) = (alpha, beta);
        C = c;
        Ldc = ldc;
        Bias = bias;
        Activation = activation;
    }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public MatrixSource A { get; }

    /// <summary>B packed by <see cref="PackedMatrix"/>.</summary>
    public float* PackedB { get; }

    /// <summary>
    /// Whether k steps where a tile of pixel bytes is 0 may be skipped: only when B was all finite when packed, since
    /// 0·w = 0 holds for finite w but 0·NaN and 0·∞ are NaN (<see cref="PackedMatrix.AllFinite"/>).
    /// </summary>
    public bool SkipZeroSteps { get; }

    public float Alpha { get; }

    public float Beta { get; }

    public float* C { get; }

    public int Ldc { get; }

    /// <summary>Bias padded to whole panels (<see cref="PackedMatrix.PadBias"/>), or null.</summary>
    public float* Bias { get; }

    public Activation Activation { get; }
}
