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
internal readonly unsafe struct Operation(
    int m, int n, int k, MatrixSource a, float* packedB, float alpha, float beta, float* c, int ldc,
    float* bias, Activation activation)
{
    public int M { get; } = m;

    public int N { get; } = n;

    public int K { get; } = k;

    public MatrixSource A { get; } = a;

    /// <summary>B packed by <see cref="PackedMatrix"/>.</summary>
    public float* PackedB { get; } = packedB;

    public float Alpha { get; } = alpha;

    public float Beta { get; } = beta;

    public float* C { get; } = c;

    public int Ldc { get; } = ldc;

    /// <summary>Bias padded to whole panels (<see cref="PackedMatrix.PadBias"/>), or null.</summary>
    public float* Bias { get; } = bias;

    public Activation Activation { get; } = activation;
}
