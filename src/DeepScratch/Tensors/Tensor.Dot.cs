using DeepScratch.Kernels;

namespace DeepScratch.Tensors;

/// <summary>The matrix product (numpy's <c>np.dot</c>), routed through the single <see cref="Gemm"/> entry point.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The matrix product of <paramref name="a"/> and <paramref name="b"/>: 2-D x 2-D, 1-D x 2-D (a vector times a matrix,
    /// as one image times a weight matrix) or 2-D x 1-D.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The shapes do not fit; the message names both shapes and the mismatched dimensions, e.g. (2, 3) x (2, 2).
    /// </exception>
    public static Tensor Dot(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank is < 1 or > 2 || b.Rank is < 1 or > 2 || (a.Rank == 1 && b.Rank == 1))
        {
            throw new ArgumentException(
                $"Dot multiplies 2-D x 2-D, 1-D x 2-D or 2-D x 1-D tensors; got shapes {a.ShapeString} and {b.ShapeString}.");
        }

        int m = a.Rank == 2 ? a._shape[0] : 1;
        int k = a._shape[^1];
        int kb = b._shape[0];
        int n = b.Rank == 2 ? b._shape[1] : 1;
        if (k != kb)
        {
            throw new ArgumentException(
                $"Shapes {a.ShapeString} and {b.ShapeString} cannot be multiplied: the last dimension of the first ({k}) " +
                $"must equal the first dimension of the second ({kb}).");
        }

        int[] shape = (a.Rank, b.Rank) switch
        {
            (2, 2) => [m, n],
            (1, 2) => [n],
            _ => [m],
        };
        var result = Tensor.Zeros(shape);
        Gemm.Multiply(Kernels.Transpose.No, Kernels.Transpose.No, m, n, k, 1f, a.Span, k, b.Span, n, 0f, result.Span, n);
        return result;
    }

    /// <summary>This tensor times <paramref name="other"/>; see <see cref="Dot(Tensor, Tensor)"/>.</summary>
    public Tensor Dot(Tensor other) => Dot(this, other);
}
