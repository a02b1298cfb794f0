namespace DeepScratch.Kernels;

/// <summary>
/// The training Convolution layer's filter gradient as one batch-level reduction on the shared GEMM:
/// dW (FN, FH·FW·C) = Σ_r dout[r, :]ᵀ · patches[r, :] over the K = N·out_h·out_w patch rows r = (n, oy, ox) of the
/// whole batch (the book's dW = doutᵀ·col). K is cut into fixed chunks of up to <see cref="ChunkRows"/> rows inside
/// one image, so a chunk's doutᵀ (A) is a block of dout's own rows; its patch rows (B) are written from the
/// channels-last images straight into panel layout (implicit im2col: one chunk in memory at a time), so the product
/// has m = FN, n = FH·FW·C. The chunks fall into <see cref="Groups"/> fixed
/// groups summed on any thread into their own buffers, then added in group order: the result does not depend on the
/// thread count.
/// </summary>
internal sealed unsafe class FilterGradient
{
    /// <summary>Patch rows per chunk: the chunk's packed patches (ChunkRows · FH·FW·C floats) stay in the level-2 cache.</summary>
    internal const int ChunkRows = 192;

    /// <summary>Groups of chunks summed separately (a fixed number, so the sums do not depend on the thread count).</summary>
    internal const int Groups = 8;

    [ThreadStatic]
    private static float[]? t_patches;

    [ThreadStatic]
    private static float[]? t_packed;

    private float[]? _imagesLast;
    private float[]? _partials;

    /// <summary>
    /// dW (FN, C, FH, FW), overwritten, from the layer's input <paramref name="x"/> (N, C, H, W) and
    /// <paramref name="dout"/> (N, FN, out_h, out_w), both channels-first as the layer holds them.
    /// </summary>
    /// <param name="x">The images (N, C, H, W).</param>
    /// <param name="xLast">The same images channels-last (N, H, W, C) when the caller has them, else empty (x is copied).</param>
    /// <param name="dout">dLoss/dy (N, FN, out_h, out_w).</param>
    /// <param name="n">Images in the batch.</param>
    /// <param name="g">The images' size and channels, the filter size, stride and padding.</param>
    /// <param name="fn">Filters.</param>
    /// <param name="dw">dW (FN, C, FH, FW), overwritten.</param>
    /// <exception cref="ArgumentException">The buffers do not match the sizes.</exception>
    /// <exception cref="InvalidOperationException">This machine runs the portable kernels.</exception>
    public void Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> xLast, ReadOnlySpan<float> dout, int n, PatchGeometry g, int fn, Span<float> dw)
    {
        if (!Gemm.HasFastKernels)
        {
            throw new InvalidOperationException("The batch-level filter gradient runs on the AVX2 or AVX-512 kernels.");
        }

        int positions = g.OutH * g.OutW;
        int patch = g.PatchLength;
        long rows = (long)n * positions;
        if (x.Length < (long)n * g.ImageLength || dout.Length < rows * fn || dw.Length < (long)fn * patch || rows > int.MaxValue)
        {
            throw new ArgumentException($"Filter gradient: {n} images of {g} and {fn} filters do not match the buffers.");
        }

        if (rows == 0)
        {
            // No patch rows (an empty batch): a sum of nothing, and no chunk to split into groups below.
            dw[..(fn * patch)].Clear();
            return;
        }

        ReadOnlySpan<float> images = xLast;
        if (images.IsEmpty)
        {
            var copy = Scratch(ref _imagesLast, n * g.ImageLength);
            TrainingConvolution.ToChannelsLast(x, n, g.Channels, g.Height * g.Width, copy);
            images = copy;
        }
        else if (images.Length < (long)n * g.ImageLength)
        {
            throw new ArgumentException($"Filter gradient: the channels-last images hold {images.Length} floats, not {n} images of {g}.", nameof(xLast));
        }
        // Chunks never cross images, so each chunk's doutᵀ is a block of dout's own (FN, out_h·out_w) rows: read in place.
        int pieces = (positions + ChunkRows - 1) / ChunkRows;
        int pieceLength = (positions + pieces - 1) / pieces;
        int chunks = n * pieces;
        int groups = Math.Min(Groups, chunks);
        int perGroup = (chunks + groups - 1) / groups;
        groups = (chunks + perGroup - 1) / perGroup;
        int length = fn * patch;
        var partials = Scratch(ref _partials, groups * length);
        fixed (float* pi = images)
        fixed (float* pd = dout)
        fixed (float* pp = partials)
        {
            nint imagesAddress = (nint)pi, doutAddress = (nint)pd, partialsAddress = (nint)pp;
            void Group(int group)
            {
                var source = MatrixSource.ImagePatches((float*)imagesAddress, g);
                float* sum = (float*)partialsAddress + (long)group * length;
                int first = group * perGroup, last = Math.Min(chunks, first + perGroup);
                for (int chunk = first; chunk < last; chunk++)
                {
                    int image = chunk / pieces, offset = chunk % pieces * pieceLength;
                    int start = image * positions + offset, k = Math.Min(pieceLength, positions - offset);
                    var panels = PackedMatrix.Keep(ref t_packed, PackedMatrix.PackedLength(ChunkRows, patch));
                    PackedMatrix packed;
                    if (g.Channels % PackedMatrix.PanelWidth == 0)
                    {
                        packed = PackedMatrix.FromPanels(k, patch, panels);
                        PackPatches((float*)imagesAddress, g, start, k, packed.Pointer);
                    }
                    else
                    {
                        var patches = ThreadBuffer(ref t_patches, ChunkRows * patch);
                        fixed (float* pr = patches)
                        {
                            source.CopyRows(start, k, patch, pr);
                        }

                        packed = PackedMatrix.Pack(patches.AsSpan(0, k * patch), patch, Transpose.No, k, patch, panels);
                    }

                    fixed (float* pb = &packed.Data[packed.Offset])
                    {
                        // A = doutᵀ for this chunk: op(A)[f, r] = dout[image, f, offset + r], rows of dout itself.
                        var a = MatrixSource.RowMajor((float*)doutAddress + (long)image * fn * positions + offset, positions);
                        var op = new Operation(fn, patch, k, a, packed, pb, 1f, chunk == first ? 0f : 1f, sum, patch, null, Activation.None);
                        Gemm.RunRowBlock(op, 0, fn, (k + Gemm.MaxChunk - 1) / Gemm.MaxChunk, Gemm.Kernels);
                    }
                }
            }

            if (groups < 2 || Environment.ProcessorCount < 2)
            {
                for (int group = 0; group < groups; group++)
                {
                    Group(group);
                }
            }
            else
            {
                Parallel.For(0, groups, Group);
            }
        }

        // The group sums added in order, from the patches' (fy, fx, c) columns to the filters' (c, fy, fx) layout.
        int c = g.Channels, fh = g.FilterH, fw = g.FilterW;
        for (int f = 0; f < fn; f++)
        {
            for (int fy = 0; fy < fh; fy++)
            {
                for (int fx = 0; fx < fw; fx++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        int column = f * patch + (fy * fw + fx) * c + ch;
                        float total = partials[column];
                        for (int group = 1; group < groups; group++)
                        {
                            total += partials[group * length + column];
                        }

                        dw[((f * c + ch) * fh + fy) * fw + fx] = total;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Patch rows [start, start + k) written straight into panel layout (no row-major copy to pack again): with C a
    /// multiple of the panel width, each filter tap's C channels are C/16 whole panels, and a row's 16 values of a
    /// panel are 16 contiguous channels of one pixel (zeros in the padding).
    /// </summary>
    private static void PackPatches(float* images, PatchGeometry g, int start, int k, float* panels)
    {
        int c = g.Channels, outW = g.OutW, perImage = g.OutH * outW, blocks = c / PackedMatrix.PanelWidth;
        long panelStride = (long)k * PackedMatrix.PanelWidth;
        for (int r = 0; r < k; r++)
        {
            int row = start + r;
            int n = row / perImage, position = row - n * perImage;
            int oy = position / outW, ox = position - oy * outW;
            float* rowStart = panels + (long)r * PackedMatrix.PanelWidth;
            for (int fy = 0; fy < g.FilterH; fy++)
            {
                int iy = oy * g.Stride - g.Pad + fy;
                bool rowInside = iy >= 0 && iy < g.Height;
                for (int fx = 0; fx < g.FilterW; fx++)
                {
                    int ix = ox * g.Stride - g.Pad + fx;
                    float* dst = rowStart + (fy * g.FilterW + fx) * blocks * panelStride;
                    if (rowInside && ix >= 0 && ix < g.Width)
                    {
                        float* src = images + (((long)n * g.Height + iy) * g.Width + ix) * c;
                        for (int q = 0; q < blocks; q++, dst += panelStride, src += PackedMatrix.PanelWidth)
                        {
                            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(src), dst);
                            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(src + 8), dst + 8);
                        }
                    }
                    else
                    {
                        for (int q = 0; q < blocks; q++, dst += panelStride)
                        {
                            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256<float>.Zero, dst);
                            System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256<float>.Zero, dst + 8);
                        }
                    }
                }
            }
        }
    }

    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<float>(length);
        }

        return buffer.AsSpan(0, length);
    }

    private static float[] ThreadBuffer(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<float>(length);
        }

        return buffer;
    }
}
