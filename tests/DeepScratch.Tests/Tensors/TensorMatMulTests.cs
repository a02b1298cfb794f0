using DeepScratch.Kernels;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Tensors;

/// <summary>MatMul with transposes (what the backward passes use) and the axis-0 helpers, against naive loops.</summary>
public class TensorMatMulTests
{
    [Theory]
    [InlineData(Transpose.No, Transpose.No)]
    [InlineData(Transpose.Yes, Transpose.No)]
    [InlineData(Transpose.No, Transpose.Yes)]
    [InlineData(Transpose.Yes, Transpose.Yes)]
    public void MatMul_with_any_transpose_equals_the_naive_product(Transpose ta, Transpose tb)
    {
        const int m = 7, n = 5, k = 9;
        var random = new Random(11);
        var a = GradientCheck.Random(ta == Transpose.No ? [m, k] : [k, m], random, 1);
        var b = GradientCheck.Random(tb == Transpose.No ? [k, n] : [n, k], random, 1);

        var c = Tensor.MatMul(a, ta, b, tb);

        Assert.Equal([m, n], c.Shape.ToArray());
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int p = 0; p < k; p++)
                {
                    expected += (ta == Transpose.No ? a[i, p] : a[p, i]) * (double)(tb == Transpose.No ? b[p, j] : b[j, p]);
                }

                Assert.Equal(expected, c[i, j], 4);
            }
        }
    }

    [Fact]
    public void MatMul_into_an_output_accumulates_with_beta_1_and_scales_with_alpha()
    {
        var a = Tensor.FromRows([1, 2], [3, 4]);
        var b = Tensor.FromRows([1, 0], [0, 1]);
        var c = Tensor.FromRows([10, 20], [30, 40]);

        Tensor.MatMul(a, Transpose.Yes, b, Transpose.No, c, alpha: 2f, beta: 1f);

        Assert.Equal([12f, 26f, 34f, 48f], c.ToArray()); // c + 2·aᵀ
    }

    [Fact]
    public void MatMul_shape_errors_name_both_shapes()
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(2, 4);

        var e = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, Transpose.No, b, Transpose.No));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(2, 4)", e.Message);

        // Transposing a makes it fit: (3, 2) x (2, 4).
        Assert.Equal([3, 4], Tensor.MatMul(a, Transpose.Yes, b, Transpose.No).Shape.ToArray());

        var wrongOutput = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, Transpose.Yes, b, Transpose.No, Tensor.Zeros(4, 3)));
        Assert.Contains("(3, 4)", wrongOutput.Message);
        Assert.Contains("(4, 3)", wrongOutput.Message);

        Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(3), Transpose.No, b, Transpose.No));
    }

    [Fact]
    public void MatMul_refuses_an_output_that_shares_storage_with_an_operand()
    {
        var a = Tensor.FromRows([1, 2], [3, 4]);
        var e = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, Transpose.No, a, Transpose.No, a));
        Assert.Contains("share storage", e.Message);
    }

    [Fact]
    public void SumAxis0_and_MeanAxis0_reduce_over_the_batch()
    {
        var x = Tensor.FromRows([1, 2, 3], [4, 5, 6]);

        Assert.Equal([5f, 7f, 9f], x.SumAxis0().ToArray());
        Assert.Equal([2.5f, 3.5f, 4.5f], x.MeanAxis0().ToArray());

        var into = Tensor.FromValues(100, 100, 100);
        x.SumAxis0(into);
        Assert.Equal([5f, 7f, 9f], into.ToArray()); // overwritten, not accumulated

        var images = Tensor.Zeros(2, 1, 2, 2);
        images.Span.Fill(1f);
        Assert.Equal([1, 2, 2], images.SumAxis0().Shape.ToArray());
        Assert.Throws<ArgumentException>(() => x.SumAxis0(Tensor.Zeros(2)));
    }

    [Fact]
    public void Row_vector_operations_broadcast_over_every_row()
    {
        var x = Tensor.FromRows([2, 4], [6, 8]);
        var v = Tensor.FromValues(1, 2);

        Assert.Equal([1f, 2f, 5f, 6f], x.SubtractRowVector(v).ToArray());
        Assert.Equal([2f, 8f, 6f, 16f], x.MultiplyRowVector(v).ToArray());
        Assert.Equal([2f, 2f, 6f, 4f], x.DivideRowVector(v).ToArray());
        var e = Assert.Throws<ArgumentException>(() => x.MultiplyRowVector(Tensor.FromValues(1, 2, 3)));
        Assert.Contains("(2,)", e.Message);
    }
}
