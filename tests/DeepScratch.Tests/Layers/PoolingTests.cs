using DeepScratch.Layers;

namespace DeepScratch.Tests.Layers;

/// <summary>Max pooling: against a direct loop (forward and the argmax routing of backward), and by numerical gradient checks.</summary>
public class PoolingTests
{
    /// <summary>
    /// The oracle, written as loops over each window: the maximum (padding reads as 0, as the book's im2col makes it)
    /// and where the first maximum lies in (ky, kx) order, as (row, col) of x, or (-1, -1) for padding.
    /// </summary>
    private static (float[,,,] Max, (int Row, int Col)[,,,] At) Direct(Tensor x, int ph, int pw, int stride, int pad)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        int outH = (h + 2 * pad - ph) / stride + 1, outW = (w + 2 * pad - pw) / stride + 1;
        var max = new float[n, c, outH, outW];
        var at = new (int, int)[n, c, outH, outW];
        for (int img = 0; img < n; img++)
        for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < outH; i++)
        for (int j = 0; j < outW; j++)
        {
            float best = float.NegativeInfinity;
            (int, int) where = (-1, -1);
            for (int ky = 0; ky < ph; ky++)
            for (int kx = 0; kx < pw; kx++)
            {
                int row = i * stride + ky - pad, col = j * stride + kx - pad;
                bool inside = row >= 0 && row < h && col >= 0 && col < w;
                float v = inside ? x[img, ch, row, col] : 0f;
                if (v > best)
                {
                    best = v;
                    where = inside ? (row, col) : (-1, -1);
                }
            }

            max[img, ch, i, j] = best;
            at[img, ch, i, j] = where;
        }

        return (max, at);
    }

    /// <summary>Distinct non-zero values at least 0.01 apart (and 0.1 from the padding's 0): no ties within h = 1e-3.</summary>
    private static Tensor WithoutTies(int[] shape, int seed)
    {
        var random = new Random(seed);
        var t = Tensor.Zeros(shape);
        var s = t.Span;
        var order = Enumerable.Range(0, s.Length).OrderBy(_ => random.Next()).ToArray();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (0.1f + 0.01f * order[i]) * (random.Next(2) == 0 ? -1 : 1);
        }

        return t;
    }

    [Theory]
    [InlineData(2, 2, 2, 0)] // the book's 2x2 stride 2
    [InlineData(2, 2, 1, 0)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(3, 2, 2, 1)]
    [InlineData(3, 3, 2, 2)]
    [InlineData(2, 3, 1, 2)]
    public void Forward_and_backward_match_a_direct_loop_on_odd_non_square_sizes(int ph, int pw, int stride, int pad)
    {
        var x = WithoutTies([2, 3, 7, 5], seed: ph * 100 + pw * 10 + stride + pad);
        var (max, at) = Direct(x, ph, pw, stride, pad);
        var pool = new Pooling(ph, pw, stride, pad);

        var y = pool.Forward(x, train: true);
        var dout = GradientCheck.Random(y.Shape.ToArray(), new Random(3), 1);
        var dx = pool.Backward(dout);

        int outH = max.GetLength(2), outW = max.GetLength(3);
        Assert.Equal(new[] { 2, 3, outH, outW }, y.Shape.ToArray());
        var expectedDx = new double[2, 3, 7, 5];
        for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
        for (int i = 0; i < outH; i++)
        for (int j = 0; j < outW; j++)
        {
            Assert.Equal(max[n, c, i, j], y[n, c, i, j]);
            var (row, col) = at[n, c, i, j];
            if (row >= 0)
            {
                expectedDx[n, c, row, col] += dout[n, c, i, j];
            }
        }

        Assert.Equal([2, 3, 7, 5], dx.Shape.ToArray());
        for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
        for (int r = 0; r < 7; r++)
        for (int q = 0; q < 5; q++)
        {
            Assert.True(Math.Abs(dx[n, c, r, q] - expectedDx[n, c, r, q]) <= 1e-6, $"dx[{n}, {c}, {r}, {q}] = {dx[n, c, r, q]}, direct loop {expectedDx[n, c, r, q]}");
        }
    }

    [Theory]
    [InlineData(2, 2, 2, 0)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(3, 3, 2, 2)]
    public void Backward_matches_the_numerical_gradient_without_ties(int ph, int pw, int stride, int pad)
    {
        var pool = new Pooling(ph, pw, stride, pad);
        GradientCheck.AssertLayer(() => pool, WithoutTies([2, 3, 7, 5], seed: 9 + pad));
    }

    [Fact]
    public void A_hand_checked_2x2_pool_routes_each_gradient_to_the_first_largest_value()
    {
        // Channel 0: windows [1 3; 5 2], [4 4; 0 1] (a tie: the first 4 takes the gradient).
        var x = new Tensor([1, 3, 4, 4, 5, 2, 0, 1], 1, 1, 2, 4);
        var pool = new Pooling(2, 2, stride: 2);
        Assert.Equal([5f, 4f], pool.Forward(x, true).ToArray());
        Assert.Equal([0f, 0, 20, 0, 10, 0, 0, 0], pool.Backward(new Tensor([10, 20], 1, 1, 1, 2)).ToArray());
        Assert.Empty(pool.Parameters);
    }

    [Fact]
    public void Wrong_shapes_and_settings_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new Pooling(0, 2));
        Assert.Throws<ArgumentException>(() => new Pooling(2, 2, stride: 0));
        Assert.Throws<ArgumentException>(() => new Pooling(2, 2, pad: -1));
        var pool = new Pooling(2, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => pool.Forward(Tensor.Zeros(2, 16), true));
        Assert.Contains("(2, 16)", e.Message);
        Assert.Throws<ArgumentException>(() => pool.Forward(Tensor.Zeros(1, 1, 1, 4), true));
        Assert.Throws<InvalidOperationException>(() => pool.Backward(Tensor.Zeros(1, 1, 1, 1)));
        pool.Forward(Tensor.Zeros(1, 2, 4, 4), true);
        Assert.Throws<ArgumentException>(() => pool.Backward(Tensor.Zeros(1, 2, 3, 2)));
    }
}
