namespace DeepScratch.Kernels;

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
