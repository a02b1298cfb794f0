namespace DeepScratch.Tests.Tensors;

/// <summary>Tensor.Transpose (numpy's x.transpose(axes)), checked against a plain index loop.</summary>
public class TensorTransposeTests
{
    private static Tensor Counting(params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = i;
        }

        return t;
    }

    /// <summary>The oracle: out[i0, i1, ...] = x[i_{inverse}] by visiting every multi-index with the indexer.</summary>
    private static void AssertIsTranspose(Tensor x, int[] axes, Tensor result)
    {
        int rank = x.Rank;
        var expectedShape = axes.Select(a => x.Dim(a)).ToArray();
        Assert.Equal(expectedShape, result.Shape.ToArray());
        var outIndex = new int[rank];
        for (int flat = 0; flat < result.Length; flat++)
        {
            int rest = flat;
            for (int d = rank - 1; d >= 0; d--)
            {
                outIndex[d] = rest % expectedShape[d];
                rest /= expectedShape[d];
            }

            var inIndex = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                inIndex[axes[d] < 0 ? axes[d] + rank : axes[d]] = outIndex[d];
            }

            Assert.Equal(x[inIndex], result[outIndex]);
        }
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, 3, 1, 2 })] // the book's (N, H, W, C) -> (N, C, H, W)
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, 2, 3, 1 })] // and back
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 3, 2, 1, 0 })]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, 1, 2, 3 })]
    [InlineData(new[] { 1, 7, 1, 3 }, new[] { 1, 3, 0, 2 })]
    [InlineData(new[] { 3, 5, 2 }, new[] { 2, 0, 1 })]
    [InlineData(new[] { 3, 5 }, new[] { 1, 0 })]
    [InlineData(new[] { 6 }, new[] { 0 })]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, -1, 1, 2 })] // negative axes count from the end
    public void Transpose_matches_a_plain_index_loop(int[] shape, int[] axes)
    {
        var x = Counting(shape);
        var result = x.Transpose(axes);
        AssertIsTranspose(x, axes, result);
    }

    [Fact]
    public void Transpose_copies_so_the_source_is_untouched_and_a_view_is_read_at_its_offset()
    {
        var batch = Counting(4, 2, 3, 2);
        var view = batch.Rows(1, 2); // starts 12 elements in
        var result = view.Transpose(0, 3, 1, 2);
        AssertIsTranspose(view, [0, 3, 1, 2], result);
        result.Span[0] = -1;
        Assert.Equal(12f, view[0, 0, 0, 0]);
        // A hand-checked case: (1, 2, 2, 1) -> (1, 1, 2, 2) keeps 0, 1, 2, 3; (2, 3) -> (3, 2) interleaves.
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], Counting(2, 3).Transpose(1, 0).ToArray());
    }

    [Fact]
    public void Axes_that_are_not_a_permutation_are_refused_with_the_shape()
    {
        var x = Counting(2, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => x.Transpose(0, 1));
        Assert.Contains("(2, 3, 4)", e.Message);
        Assert.Throws<ArgumentException>(() => x.Transpose(0, 1, 1));
        Assert.Throws<ArgumentException>(() => x.Transpose(0, 1, 3));
        Assert.Throws<ArgumentException>(() => x.Transpose(0, 1, -4));
    }
}
