namespace DeepScratch.Tests.Tensors;

/// <summary><c>Tensor.TakeRows</c>: numpy's <c>x[batch_mask]</c> along the first axis.</summary>
public sealed class TensorTakeRowsTests
{
    [Fact]
    public void Rows_come_out_in_mask_order_with_repeats()
    {
        // numpy: np.arange(12).reshape(4, 3)[[2, 0, 2]] == [[6, 7, 8], [0, 1, 2], [6, 7, 8]].
        var x = new Tensor(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        var batch = x.TakeRows([2, 0, 2]);
        Assert.Equal([3, 3], batch.Shape.ToArray());
        Assert.Equal(new float[] { 6, 7, 8, 0, 1, 2, 6, 7, 8 }, batch.ToArray());
        batch.Span[0] = -1;
        Assert.Equal(6, x.Span[6]); // a copy, not a view
    }

    [Fact]
    public void Labels_and_images_keep_their_trailing_shape()
    {
        // 1-D labels (N,) give (k,); images (N, C, H, W) give (k, C, H, W).
        var t = Tensor.FromValues(7, 2, 1, 0);
        Assert.Equal(new float[] { 0, 7 }, t.TakeRows([3, 0]).ToArray());
        var images = new Tensor(Enumerable.Range(0, 3 * 2 * 2 * 2).Select(i => (float)i).ToArray(), 3, 2, 2, 2);
        var picked = images.TakeRows([1]);
        Assert.Equal([1, 2, 2, 2], picked.Shape.ToArray());
        Assert.Equal(Enumerable.Range(8, 8).Select(i => (float)i), picked.ToArray());
        Assert.Equal([0, 2, 2, 2], images.TakeRows([]).Shape.ToArray());
    }

    [Fact]
    public void Into_a_destination_overwrites_its_first_rows_only()
    {
        var x = new Tensor([1, 2, 3, 4, 5, 6], 3, 2);
        var destination = new Tensor([9, 9, 9, 9, 9, 9], 3, 2);
        x.TakeRows([2, 1], destination);
        Assert.Equal(new float[] { 5, 6, 3, 4, 9, 9 }, destination.ToArray());
    }

    [Fact]
    public void A_bad_index_or_destination_is_named()
    {
        var x = Tensor.Zeros(4, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.TakeRows([0, 4]));
        Assert.Contains("Row index 4 (at position 1)", e.Message);
        Assert.Contains("(4, 3)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.TakeRows([-1]));
        var d = Assert.Throws<ArgumentException>(() => x.TakeRows([0, 1], Tensor.Zeros(2, 4)));
        Assert.Contains("(2, 3)", d.Message);
        Assert.Throws<ArgumentException>(() => x.TakeRows([0, 1, 2], Tensor.Zeros(2, 3)));
        Assert.Throws<InvalidOperationException>(() => Tensor.Scalar(1).TakeRows([0]));
    }
}
