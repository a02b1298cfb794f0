namespace DeepScratch.Kernels;

/// <summary>One fast-path GEMM call: C = epilogue(alpha · op(A) · B + beta · C), B already packed.</summary>
internal readonly unsafe struct Operation
{
    /// <summary>An operation on <paramref name="b"/>, whose data the caller has pinned at <paramref name="packedB"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="packedB"/> is not <paramref name="b"/>'s data, or b is not k x n.</exception>
    public Operation(
        int m, int n, int k, MatrixSource a, PackedMatrix b, float* packedB, float alpha, float beta, float* c, int ldc,
        float* bias, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(b);
        // The finiteness flag is only meaningful for the data it was computed on: refuse any other pointer.
        if (packedB != b.Pointer || b.Rows != k || b.Columns != n)
        {
            throw new ArgumentException($"The packed B ({b.Rows} x {b.Columns}) is not the pinned operand of this {k} x {n} product.", nameof(packedB));
        }

        (M, N, K, A) = (m, n, k, a);
        PackedB = packedB;
        SkipZeroSteps = b.AllFinite;
        (Alpha, Beta) = (alpha, beta);
        C = c;
        Ldc = ldc;
        Bias = bias;
        Activation = activation;
    }

    /// <summary>The same product with another activation (the GEMM runs a sigmoid after a block's tiles, not in them).</summary>
    public Operation WithActivation(Activation activation) => new(this, activation);

    private Operation(in Operation other, Activation activation)
    {
        this = other;
        Activation = activation;
    }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public MatrixSource A { get; }

    /// <summary>B packed by <see cref="PackedMatrix"/>.</summary>
    public float* PackedB { get; }

    /// <summary>
    /// Whether k steps where a tile of pixel bytes is 0 may be skipped: only when B was all finite when packed, since
    /// 0·w = 0 holds for finite w but 0·NaN and 0·∞ are NaN (<see cref="PackedMatrix.AllFinite"/>).
    /// </summary>
    public bool SkipZeroSteps { get; }

    public float Alpha { get; }

    public float Beta { get; }

    public float* C { get; }

    public int Ldc { get; }

    /// <summary>Bias padded to whole panels (<see cref="PackedMatrix.PadBias"/>), or null.</summary>
    public float* Bias { get; }

    public Activation Activation { get; }
}
