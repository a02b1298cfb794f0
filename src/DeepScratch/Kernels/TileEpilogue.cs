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

    /// <summary>
    /// Whether the epilogue only stores the product (beta 0) or adds it to C (beta 1): alpha 1, no bias, no activation,
    /// so a kernel may write its accumulators as they are, or plus C, and give the shared epilogue's bits.
    /// </summary>
    public bool IsPlain => Alpha == 1f && (Beta == 0f || Beta == 1f) && Bias == null && Activation == Activation.None;

    /// <summary>The same epilogue for a tile <paramref name="columns"/> further right.</summary>
    public TileEpilogue Shifted(int columns) => new(Alpha, Beta, Bias == null ? null : Bias + columns, Activation);
}
