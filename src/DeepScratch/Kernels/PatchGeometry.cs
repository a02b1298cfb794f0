namespace DeepScratch.Kernels;

/// <summary>
/// Where the implicit im2col rows of a convolution come from: channels-last images (N, H, W, C), a FH x FW filter
/// moved by a stride over the images padded with zeros. Row (n, oy, ox) of the patch matrix holds, in (fy, fx, c)
/// order, pixel (oy·stride − pad + fy, ox·stride − pad + fx) of every channel, or 0 where that falls in the padding.
/// </summary>
internal readonly record struct PatchGeometry(int Height, int Width, int Channels, int FilterH, int FilterW, int Stride, int Pad)
{
    /// <summary>Output rows per image (the book's <c>out_h</c>).</summary>
    public int OutH => (Height + 2 * Pad - FilterH) / Stride + 1;

    /// <summary>Output columns per image (the book's <c>out_w</c>).</summary>
    public int OutW => (Width + 2 * Pad - FilterW) / Stride + 1;

    /// <summary>The length of one patch row: FH·FW·C.</summary>
    public int PatchLength => FilterH * FilterW * Channels;

    /// <summary>Values per stored image: H·W·C.</summary>
    public int ImageLength => Height * Width * Channels;
}
