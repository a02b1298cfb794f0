namespace DeepScratch.Kernels;

/// <summary>The micro-kernel families, from the widest the processor runs down to the portable fallback.</summary>
internal enum KernelSet
{
    /// <summary>TensorPrimitives row loops: any processor.</summary>
    Portable,

    /// <summary>6 x 16 tiles on 256-bit FMA.</summary>
    Avx2,

    /// <summary>6 x 32 tiles on 512-bit FMA.</summary>
    Avx512,
}
