namespace DeepScratch.Kernels;

/// <summary>
/// How many rows a micro-kernel computes, as a type: the kernels are generic over it as a struct, so the JIT compiles
/// one kernel per count with the unused rows' loads and FMAs removed (a block's last 1 to 5 rows cost only their own work).
/// </summary>
internal interface IRowCount
{
    /// <summary>The number of rows, 1 to 6.</summary>
    static abstract int Value { get; }
}

/// <summary>One row.</summary>
internal readonly struct OneRow : IRowCount
{
    /// <inheritdoc/>
    public static int Value => 1;
}

/// <summary>Two rows.</summary>
internal readonly struct TwoRows : IRowCount
{
    /// <inheritdoc/>
    public static int Value => 2;
}

/// <summary>Three rows.</summary>
internal readonly struct ThreeRows : IRowCount
{
    /// <inheritdoc/>
    public static int Value => 3;
}

/// <summary>Four rows.</summary>
internal readonly struct FourRows : IRowCount
{
    /// <inheritdoc/>
    public static int Value => 4;
}

/// <summary>Five rows.</summary>
internal readonly struct FiveRows : IRowCount
{
    /// <inheritdoc/>
    public static int Value => 5;
}

/// <summary>Six rows: a whole tile.</summary>
internal readonly struct SixRows : IRowCount
{
    /// <inheritdoc/>
    public static int Value => 6;
}
