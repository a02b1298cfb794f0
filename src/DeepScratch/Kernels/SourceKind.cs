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

    /// <summary>
    /// Image patches of channels-last (NHWC) floats: row (n, oy, ox) of the implicit im2col matrix, its k axis in
    /// (fy, fx, c) order, written straight from the images as each row block is converted (no col matrix in memory).
    /// </summary>
    ImagePatches,

    /// <summary>Image patches as <see cref="ImagePatches"/>, from channels-last pixel bytes divided by 255 as they are read.</summary>
    ImagePatchBytes,
}
