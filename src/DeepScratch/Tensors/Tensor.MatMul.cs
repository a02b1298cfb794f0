using DeepScratch.Kernels;

namespace DeepScratch.Tensors;

/// <summary>
/// Matrix products with either operand transposed, for the backward passes (dW = xᵀ·dout, dx = dout·Wᵀ): the
/// transpose is handed to <see cref="Gemm"/>, so no transposed copy is ever made.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>op(a)·op(b) for 2-D tensors, where op transposes when asked: a new (m, n) tensor.</summary>
    /// <exception cref="ArgumentException">An operand is not 2-D or the inner dimensions differ; the message names both shapes.</exception>
    public static Tensor MatMul(Tensor a, Transpose ta, Tensor b, Transpose tb)
    {
        var (m, n, _) = MatMulDims(a, ta, b, tb);
        var c = Tensor.Zeros(m, n);
        MatMul(a, ta, b, tb, c);
        return c;
    }

    /// <summary>
    /// c = alpha·op(a)·op(b) + beta·c into an existing (m, n) tensor: beta = 0 overwrites (a gradient buffer),
    /// beta = 1 accumulates into it, without allocating.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The shapes do not fit (the message names all of them), or <paramref name="c"/> shares storage with an operand.
    /// </exception>
    public static void MatMul(Tensor a, Transpose ta, Tensor b, Transpose tb, Tensor c, float alpha = 1f, float beta = 0f)
    {
        ArgumentNullException.ThrowIfNull(c);
        var (m, n, k) = MatMulDims(a, ta, b, tb);
        if (c.Rank != 2 || c._shape[0] != m || c._shape[1] != n)
        {
            throw new ArgumentException(
                $"{Describe(a, ta)} x {Describe(b, tb)} is ({m}, {n}) but the output has shape {c.ShapeString}.", nameof(c));
        }

        if (c.Span.Overlaps(a.Span) || c.Span.Overlaps(b.Span))
        {
            throw new ArgumentException("The output of MatMul must not share storage with an operand: it is written while they are read.", nameof(c));
        }

        Gemm.Multiply(ta, tb, m, n, k, alpha, a.Span, a._shape[1], b.Span, b._shape[1], beta, c.Span, n);
    }

    /// <summary>(m, n, k) of op(a)·op(b), after checking that both are 2-D and the inner dimensions agree.</summary>
    private static (int M, int N, int K) MatMulDims(Tensor a, Transpose ta, Tensor b, Transpose tb)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw new ArgumentException($"MatMul multiplies 2-D tensors; got {Describe(a, ta)} and {Describe(b, tb)}.");
        }

        int m = ta == Kernels.Transpose.No ? a._shape[0] : a._shape[1];
        int k = ta == Kernels.Transpose.No ? a._shape[1] : a._shape[0];
        int kb = tb == Kernels.Transpose.No ? b._shape[0] : b._shape[1];
        int n = tb == Kernels.Transpose.No ? b._shape[1] : b._shape[0];
        if (k != kb)
        {
            throw new ArgumentException(
                $"Cannot multiply {Describe(a, ta)} by {Describe(b, tb)}: the first has {k} columns, the second {kb} rows.");
        }

        return (m, n, k);
    }

    private static string Describe(Tensor t, Transpose op) => op == Kernels.Transpose.No ? t.ShapeString : t.ShapeString + "ᵀ";
}
