namespace DeepScratch.Kernels;

/// <summary>
/// How many 16-float vectors of columns a kernel holds per row, as a type: kernels generic over it as a struct are
/// compiled once per count, with the unused vectors' loads and FMAs removed (a 10-column product pays for one vector).
/// </summary>
internal interface IVectorCount
{
    /// <summary>The number of vectors, 1 to 4.</summary>
    static abstract int Value { get; }
}

/// <summary>One vector: up to 16 columns.</summary>
internal readonly struct OneVector : IVectorCount
{
    /// <inheritdoc/>
    public static int Value => 1;
}

/// <summary>Two vectors: up to 32 columns.</summary>
internal readonly struct TwoVectors : IVectorCount
{
    /// <inheritdoc/>
    public static int Value => 2;
}

/// <summary>Three vectors: up to 48 columns.</summary>
internal readonly struct ThreeVectors : IVectorCount
{
    /// <inheritdoc/>
    public static int Value => 3;
}

/// <summary>Four vectors: up to 64 columns.</summary>
internal readonly struct FourVectors : IVectorCount
{
    /// <inheritdoc/>
    public static int Value => 4;
}
