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
