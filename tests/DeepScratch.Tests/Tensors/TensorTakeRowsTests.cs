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
    [Fact]
    public void A_training_sized_batch_split_across_the_cores_copies_every_row_as_a_plain_loop_does()
    {
        // 101 rows of 784 (more than one core copies), repeats included, from a view that starts mid-storage; the
        // destination's last 2 rows are not the batch's and keep their values.
        var random = new Random(3);
        var storage = new float[1200 * 784];
        for (int i = 0; i < storage.Length; i++)
        {
            storage[i] = (float)random.NextDouble();
        }

        var x = new Tensor(storage, 1200, 784).Rows(150, 1000);
        var rows = Enumerable.Range(0, 99).Select(_ => random.Next(1000)).Append(999).Append(0).ToArray();
        rows[7] = rows[60];
        var destination = Tensor.Zeros(103, 784);
        destination.Span[(101 * 784)..].Fill(-5f);
        x.TakeRows(rows, destination);

        var expected = new float[103 * 784];
        expected.AsSpan(101 * 784).Fill(-5f);
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < 784; j++)
            {
                expected[i * 784 + j] = storage[(150 + rows[i]) * 784 + j];
            }
        }

        Assert.Equal(expected, destination.ToArray());
    }

    [Fact]
    public void A_bad_index_anywhere_in_a_large_batch_leaves_the_destination_untouched()
    {
        var x = Tensor.Zeros(500, 784);
        var rows = Enumerable.Range(0, 100).ToArray();
        rows[99] = 500;
        var destination = Tensor.Zeros(100, 784);
        destination.Span.Fill(7f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.TakeRows(rows, destination));
        Assert.Contains("Row index 500 (at position 99)", e.Message);
        Assert.All(destination.ToArray(), v => Assert.Equal(7f, v));
    }
    [Fact]
    public void A_destination_sharing_the_storage_is_refused_and_left_as_it_was()
    {
        // Rows 0-49 taking rows 50-99 and rows 50-99 taking rows 0-49: the result would depend on the copying order.
        var x = Tensor.Zeros(100, 784);
        for (int i = 0; i < x.Length; i++)
        {
            x.Span[i] = i;
        }

        var before = x.ToArray();
        var rows = Enumerable.Range(0, 100).Select(i => (i + 50) % 100).ToArray();
        var e = Assert.Throws<ArgumentException>(() => x.TakeRows(rows, x));
        Assert.Contains("separate destination", e.Message);
        Assert.Throws<ArgumentException>(() => x.TakeRows([1], x.Rows(50, 50)));
        Assert.Equal(before, x.ToArray());

        // Another tensor's storage is fine, and an empty batch writes nothing anywhere.
        x.TakeRows([], x);
        var y = Tensor.Zeros(100, 784);
        x.TakeRows(rows, y);
        Assert.Equal(before.AsSpan(50 * 784, 784).ToArray(), y.Span[..784].ToArray());
    }
}
