using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// A layer's weight matrix packed for the GEMM (as op(B), transposed or not). The layer marks the pack stale at every
/// Forward, so it is remade from the current weights on the next product and reused only until the next Forward: no
/// writer of the weights has to announce its write (a learner's own <c>W -= lr·dW</c>, a numerical-gradient probe),
/// and with one forward and one backward per update each layout is still packed once per update.
/// </summary>
internal sealed class PackedWeight(Parameter parameter, int rows, int columns, Transpose transpose)
{
    private PackedMatrix? _packed;
    private bool _stale = true;

    /// <summary>How many times the weight has been packed (tests count repacks).</summary>
    public int PackCount { get; private set; }

    /// <summary>Drops the pack (keeping its buffer): the next <see cref="Multiply"/> packs the weights as they are then.</summary>
    public void MarkStale() => _stale = true;

    /// <summary>
    /// C = op(A)·op(W) (+ beta·C), W viewed as (<c>rows</c>, <c>columns</c>) and used transposed when the layout says
    /// so: packed from the current weights when stale, else the pack made since the last <see cref="MarkStale"/>; read
    /// in place, never packed, when the GEMM reads such a product's B in place (<see cref="Gemm.ReadsInPlace"/>).
    /// </summary>
    public void Multiply(Transpose transA, int m, ReadOnlySpan<float> a, int lda, Span<float> c, float beta = 0f)
    {
        int k = transpose == Transpose.No ? rows : columns;
        int n = transpose == Transpose.No ? columns : rows;
        // A narrow W the GEMM reads in place (UnpackedBGemm) needs no pack: packed again after every update, it cost
        // a third of a training step's x·W.
        if (!Gemm.HasFastKernels || Gemm.ReadsInPlace(transpose, m, n, k))
        {
            Gemm.Multiply(transA, transpose, m, n, k, 1f, a, lda, parameter.Value.Span, columns, beta, c, n);
            return;
        }

        if (_packed is null || _stale)
        {
            PackedMatrix.PackInto(ref _packed, parameter.Value.Span, columns, transpose, k, n);
            _stale = false;
            PackCount++;
        }

        Gemm.MultiplyPacked(transA, m, 1f, a, lda, _packed, beta, c, n);
    }
}
