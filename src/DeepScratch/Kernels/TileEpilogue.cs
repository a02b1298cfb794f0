namespace DeepScratch.Kernels;

/// <summary>What a kernel does with its tile once the k loop is done: scale, merge with C, bias, activation.</summary>
internal readonly unsafe struct TileEpilogue(float alpha, float beta, float* bias, Activation activation)
{
    /// <summary>Scale of the product.</summary>
    public float Alpha { get; } = alpha;

    /// <summary>Scale of C's previous contents (0: ignore them).</summary>
    public float Beta { get; } = beta;

    /// <summary>Padded bias for this tile's first column, or null; given only on the last k chunk.</summary>
    public float* Bias { get; } = bias;

    /// <summary>Applied after the bias; given only on the last k chunk.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>The same epilogue for a tile <paramref name="columns"/> further right.</summary>
    public TileEpilogue Shifted(int columns) => new(Alpha, Beta, Bias == null ? null : Bias + columns, Activation);
}
