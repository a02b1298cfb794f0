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
    /// Whether the epilogue is at most "add C (beta 1), add the bias": alpha 1, beta 0 or 1, no activation, so a kernel
    /// may finish 16 values in one 16-float vector (<see cref="MicroKernels512.Store16"/>) with the shared epilogue's bits.
    /// </summary>
    public bool IsPlain => Alpha == 1f && (Beta == 0f || Beta == 1f) && Activation == Activation.None;

    /// <summary>The same epilogue for a tile <paramref name="columns"/> further right.</summary>
    public TileEpilogue Shifted(int columns) => new(Alpha, Beta, Bias == null ? null : Bias + columns, Activation);
}
