using DeepScratch.Kernels;

namespace DeepScratch.Layers;

/// <summary>
/// A layer's weight matrix packed once for the GEMM (as op(B), transposed or not) and reused until the parameter's
/// <see cref="Parameter.Version"/> changes, so a weight is packed at most once per update for each layout the layer
/// multiplies by, instead of on every forward and backward call.
/// </summary>
internal sealed class PackedWeight(Parameter parameter, int rows, int columns, Transpose transpose)
{
    private PackedMatrix? _packed;
    private int _version;

    /// <summary>How many times the weight has been packed (tests count repacks).</summary>
    public int PackCount { get; private set; }

    /// <summary>
    /// C = op(A)·op(W) (+ beta·C), W viewed as (<c>rows</c>, <c>columns</c>) and used transposed when the layout says
    /// so: packed on first use and after each change of the parameter, else reused.
    /// </summary>
    public void Multiply(Transpose transA, int m, ReadOnlySpan<float> a, int lda, Span<float> c, float beta = 0f)
    {
        int k = transpose == Transpose.No ? rows : columns;
        int n = transpose == Transpose.No ? columns : rows;
        if (!Gemm.HasFastKernels)
        {
            Gemm.Multiply(transA, transpose, m, n, k, 1f, a, lda, parameter.Value.Span, columns, beta, c, n);
            return;
        }

        if (_packed is null || _version != parameter.Version)
        {
            _packed = PackedMatrix.Pack(parameter.Value.Span, columns, transpose, k, n, _packed?.Data);
            _version = parameter.Version;
            PackCount++;
        }

        Gemm.MultiplyPacked(transA, m, 1f, a, lda, _packed, beta, c, n);
    }
}
