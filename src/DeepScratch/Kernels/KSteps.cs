namespace DeepScratch.Kernels;

/// <summary>
/// Which k steps a micro-kernel sums over. The kernels are generic over this as a struct, so the JIT compiles one
/// loop per kind: <see cref="AllSteps"/> becomes the plain dense loop, <see cref="ListedSteps"/> the one that skips
/// steps where a whole tile of A is zero.
/// </summary>
internal interface IKSteps
{
    /// <summary>The k index of the <paramref name="t"/>-th step.</summary>
    int this[int t] { get; }
}

/// <summary>Every step, in order: step t is k index t.</summary>
internal readonly struct AllSteps : IKSteps
{
    /// <inheritdoc/>
    public int this[int t] => t;
}

/// <summary>Only the listed k indices, ascending (the non-zero columns of a tile of pixels).</summary>
internal readonly unsafe struct ListedSteps(int* steps) : IKSteps
{
    /// <inheritdoc/>
    public int this[int t] => steps[t];
}
