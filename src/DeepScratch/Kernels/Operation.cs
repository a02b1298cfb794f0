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
            ScalePixels(Bytes + (long)(start + r) * Stride, destination + (long)r * k, k);
        }
    }

    /// <summary>
    /// pixel / 255, bit-identical to a true division (numpy's <c>x / 255.0</c>) but without its latency: q = x·(1/255)
    /// alone is off by one ulp for 126 of the 256 byte values, so one FMA step corrects it, q' = q + (x − 255q)·(1/255).
    /// That this equals x / 255f for every byte is checked exhaustively by the tests.
    /// </summary>
    private static void ScalePixels(byte* src, float* dst, int count)
    {
        int i = 0;
        var reciprocal = Vector256.Create(1f / 255f);
        var minus255 = Vector256.Create(-255f);
        for (; i <= count - 32; i += 32)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(src + i));
            var (a, b) = Vector256.Widen(lo);
            var (c, d) = Vector256.Widen(hi);
            Divide(Vector256.ConvertToSingle(a.AsInt32())).Store(dst + i);
            Divide(Vector256.ConvertToSingle(b.AsInt32())).Store(dst + i + 8);
            Divide(Vector256.ConvertToSingle(c.AsInt32())).Store(dst + i + 16);
            Divide(Vector256.ConvertToSingle(d.AsInt32())).Store(dst + i + 24);
        }

        for (; i < count; i++)
        {
            dst[i] = src[i] / 255f;
        }

        Vector256<float> Divide(Vector256<float> x)
        {
            var q = x * reciprocal;
            return Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(q, minus255, x), reciprocal, q);
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
