namespace DeepScratch.Kernels;

/// <summary>The A operand: where its elements are and how to turn a block of its rows into row-major floats.</summary>
internal readonly unsafe struct MatrixSource
{
    private MatrixSource(SourceKind kind, float* floats, byte* bytes, int stride, PatchGeometry patches = default)
    {
        Kind = kind;
        Floats = floats;
        Bytes = bytes;
        Stride = stride;
        Patches = patches;
    }

    public SourceKind Kind { get; }

    public float* Floats { get; }

    public byte* Bytes { get; }

    /// <summary>Distance between stored rows.</summary>
    public int Stride { get; }

    public static MatrixSource RowMajor(float* a, int lda) => new(SourceKind.Floats, a, null, lda);

    public static MatrixSource Transposed(float* a, int lda) => new(SourceKind.TransposedFloats, a, null, lda);

    public static MatrixSource Pixels(byte* pixels, int stride) => new(SourceKind.PixelBytes, null, pixels, stride);

    /// <summary>The implicit im2col matrix of channels-last float images (<see cref="SourceKind.ImagePatches"/>).</summary>
    public static MatrixSource ImagePatches(float* images, PatchGeometry geometry) =>
        new(SourceKind.ImagePatches, images, null, geometry.PatchLength, geometry);

    /// <summary>The implicit im2col matrix of channels-last pixel bytes, divided by 255 as read (<see cref="SourceKind.ImagePatchBytes"/>).</summary>
    public static MatrixSource ImagePatchBytes(byte* pixels, PatchGeometry geometry) =>
        new(SourceKind.ImagePatchBytes, null, pixels, geometry.PatchLength, geometry);

    /// <summary>The convolution whose patches this source gives (default for the other kinds).</summary>
    public PatchGeometry Patches { get; }

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

        if (Kind is SourceKind.ImagePatches or SourceKind.ImagePatchBytes)
        {
            CopyPatches(start, rows, k, destination);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            PixelScaling.Normalize(Bytes + (long)(start + r) * Stride, destination + (long)r * k, k);
        }
    }

    /// <summary>
    /// Writes patch rows [start, start + rows): for each filter row fy the in-image pixels fx0..fx1 of one image row
    /// are C·(fx1 − fx0) contiguous values in NHWC, copied (or scaled from bytes) in one run; the padding is zeros.
    /// </summary>
    private void CopyPatches(int start, int rows, int k, float* destination)
    {
        var g = Patches;
        int outH = g.OutH, outW = g.OutW, c = g.Channels;
        int perImage = outH * outW;
        int rowRun = g.FilterW * c;
        for (int r = 0; r < rows; r++)
        {
            int row = start + r;
            int n = row / perImage, position = row - n * perImage;
            int oy = position / outW, ox = position - oy * outW;
            int x0 = ox * g.Stride - g.Pad;
            int fx0 = Math.Max(0, -x0), fx1 = Math.Min(g.FilterW, g.Width - x0);
            float* dst = destination + (long)r * k;
            for (int fy = 0; fy < g.FilterH; fy++, dst += rowRun)
            {
                int iy = oy * g.Stride - g.Pad + fy;
                if (iy < 0 || iy >= g.Height || fx1 <= fx0)
                {
                    new Span<float>(dst, rowRun).Clear();
                    continue;
                }

                if (fx0 > 0)
                {
                    new Span<float>(dst, fx0 * c).Clear();
                }

                long from = ((long)n * g.Height + iy) * g.Width * c + (long)(x0 + fx0) * c;
                int length = (fx1 - fx0) * c;
                if (Kind == SourceKind.ImagePatches)
                {
                    Buffer.MemoryCopy(Floats + from, dst + fx0 * c, (long)length * sizeof(float), (long)length * sizeof(float));
                }
                else if (length >= 32)
                {
                    PixelScaling.Normalize(Bytes + from, dst + fx0 * c, length);
                }
                else
                {
                    fixed (float* table = PixelScaling.Table)
                    {
                        for (int i = 0; i < length; i++)
                        {
                            dst[fx0 * c + i] = table[Bytes[from + i]];
                        }
                    }
                }

                if (fx1 < g.FilterW)
                {
                    new Span<float>(dst + fx1 * c, (g.FilterW - fx1) * c).Clear();
                }
            }
        }
    }
}
