using DeepScratch.Kernels;

namespace DeepScratch.Models.Inference;

/// <summary>
/// A convolution as the shared GEMM: A is the implicit im2col matrix of the channels-last images (each row block of
/// patches written while the block is converted, never a whole col matrix), B the filters packed once in the
/// patches' (fy, fx, c) order, bias and activation fused into the output tiles.
/// </summary>
internal sealed unsafe class ImplicitGemmConvolution : IConvolutionKernel
{
    private readonly PackedMatrix _filters;
    private readonly float[] _bias;
    private readonly Activation _activation;

    /// <param name="geometry">The images and filter sizes.</param>
    /// <param name="filters">(FN, C, FH, FW), the book's layout.</param>
    /// <param name="bias">(FN,).</param>
    /// <param name="activation">Applied to each output after the bias.</param>
    public ImplicitGemmConvolution(PatchGeometry geometry, ReadOnlySpan<float> filters, ReadOnlySpan<float> bias, Activation activation)
    {
        Geometry = geometry;
        int fn = bias.Length, c = geometry.Channels, fh = geometry.FilterH, fw = geometry.FilterW;
        var b = new float[geometry.PatchLength * fn];
        for (int f = 0; f < fn; f++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int y = 0; y < fh; y++)
                {
                    for (int x = 0; x < fw; x++)
                    {
                        // Row (fy, fx, c) of B, as the patches are laid out, from filter element [f, c, fy, fx].
                        b[((y * fw + x) * c + ch) * fn + f] = filters[((f * c + ch) * fh + y) * fw + x];
                    }
                }
            }
        }

        _filters = PackedMatrix.Pack(b, fn, Transpose.No, geometry.PatchLength, fn);
        _bias = PackedMatrix.PadBias(bias);
        _activation = activation;
    }

    public PatchGeometry Geometry { get; }

    public string Name => nameof(ImplicitGemmConvolution);

    public bool ReadsBytes => true;

    public int WorkspaceLength(int count) => 0;

    public void Run(float* images, byte* pixels, int count, float* output, Span<float> workspace)
    {
        var source = images != null ? MatrixSource.ImagePatches(images, Geometry) : MatrixSource.ImagePatchBytes(pixels, Geometry);
        int m = count * Geometry.OutH * Geometry.OutW;
        fixed (float* w = &_filters.Data[_filters.Offset])
        fixed (float* bias = _bias)
        {
            Gemm.Run(new Operation(m, _filters.Columns, _filters.Rows, source, _filters, w, 1f, 0f, output, _filters.Columns, bias, _activation));
        }
    }
}
