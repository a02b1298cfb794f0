using DeepScratch.Functions;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Functions;

/// <summary>im2col / col2im (the book's common/util.py): hand-checked cases and col2im as the adjoint of im2col.</summary>
public class ImageColumnsTests
{
    private static Tensor OneToNine() => new([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);

    [Fact]
    public void A_2x2_filter_over_a_3x3_image_gives_one_row_per_position()
    {
        var col = ImageColumns.Im2Col(OneToNine(), 2, 2);
        Assert.Equal([4, 4], col.Shape.ToArray());
        Assert.Equal([1f, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9], col.ToArray());
    }

    [Fact]
    public void Padding_reads_as_zero_and_the_stride_skips_positions()
    {
        // Padded to 5x5, a 2x2 window every 2 pixels starts at rows/columns -1 and 1: (3 + 2 - 2) / 2 + 1 = 2.
        var col = ImageColumns.Im2Col(OneToNine(), 2, 2, stride: 2, pad: 1);
        Assert.Equal([4, 4], col.Shape.ToArray());
        Assert.Equal([0f, 0, 0, 1, 0, 0, 2, 3, 0, 4, 0, 7, 5, 6, 8, 9], col.ToArray());
    }

    [Fact]
    public void Rows_run_over_images_then_positions_and_columns_over_channels_then_the_filter()
    {
        // N=2, C=2, H=2, W=3 with a 2x2 filter: 2 positions per image, 8 columns (c, ky, kx).
        var x = new Tensor(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), 2, 2, 2, 3);
        var col = ImageColumns.Im2Col(x, 2, 2);
        Assert.Equal([4, 8], col.Shape.ToArray());
        Assert.Equal(
            [
                0f, 1, 3, 4, 6, 7, 9, 10,
                1, 2, 4, 5, 7, 8, 10, 11,
                12, 13, 15, 16, 18, 19, 21, 22,
                13, 14, 16, 17, 19, 20, 22, 23,
            ],
            col.ToArray());
    }

    [Fact]
    public void Im2col_equals_the_books_numpy_im2col_on_two_images_of_two_channels()
    {
        // The book's common/util.py im2col, run by /usr/bin/python3 (numpy 1.24) on
        // x = np.arange(1, 81.).reshape(2, 2, 5, 4) with filter 3x2, stride 2, pad 1: col (18, 12).
        float[] expected =
        [
            0, 0, 0, 1, 0, 5, 0, 0, 0, 21, 0, 25,
            0, 0, 2, 3, 6, 7, 0, 0, 22, 23, 26, 27,
            0, 0, 4, 0, 8, 0, 0, 0, 24, 0, 28, 0,
            0, 5, 0, 9, 0, 13, 0, 25, 0, 29, 0, 33,
            6, 7, 10, 11, 14, 15, 26, 27, 30, 31, 34, 35,
            8, 0, 12, 0, 16, 0, 28, 0, 32, 0, 36, 0,
            0, 13, 0, 17, 0, 0, 0, 33, 0, 37, 0, 0,
            14, 15, 18, 19, 0, 0, 34, 35, 38, 39, 0, 0,
            16, 0, 20, 0, 0, 0, 36, 0, 40, 0, 0, 0,
            0, 0, 0, 41, 0, 45, 0, 0, 0, 61, 0, 65,
            0, 0, 42, 43, 46, 47, 0, 0, 62, 63, 66, 67,
            0, 0, 44, 0, 48, 0, 0, 0, 64, 0, 68, 0,
            0, 45, 0, 49, 0, 53, 0, 65, 0, 69, 0, 73,
            46, 47, 50, 51, 54, 55, 66, 67, 70, 71, 74, 75,
            48, 0, 52, 0, 56, 0, 68, 0, 72, 0, 76, 0,
            0, 53, 0, 57, 0, 0, 0, 73, 0, 77, 0, 0,
            54, 55, 58, 59, 0, 0, 74, 75, 78, 79, 0, 0,
            56, 0, 60, 0, 0, 0, 76, 0, 80, 0, 0, 0,
        ];
        var x = new Tensor(Enumerable.Range(1, 80).Select(i => (float)i).ToArray(), 2, 2, 5, 4);
        var col = ImageColumns.Im2Col(x, 3, 2, stride: 2, pad: 1);
        Assert.Equal([18, 12], col.Shape.ToArray());
        Assert.Equal(expected, col.ToArray());
    }

    [Fact]
    public void Col2im_of_ones_counts_the_windows_over_each_pixel()
    {
        var ones = new Tensor(Enumerable.Repeat(1f, 16).ToArray(), 4, 4);
        Assert.Equal([1f, 2, 1, 2, 4, 2, 1, 2, 1], ImageColumns.Col2Im(ones, [1, 1, 3, 3], 2, 2).ToArray());
        // Stride 2, pad 1: each pixel is in exactly one window, and padding cells are dropped.
        var col = new Tensor(Enumerable.Range(1, 16).Select(i => (float)i).ToArray(), 4, 4);
        Assert.Equal([4f, 7, 8, 10, 13, 14, 12, 15, 16], ImageColumns.Col2Im(col, [1, 1, 3, 3], 2, 2, stride: 2, pad: 1).ToArray());
    }

    [Theory]
    [InlineData(2, 3, 7, 5, 3, 2, 1, 0)]
    [InlineData(2, 3, 7, 5, 3, 2, 1, 1)]
    [InlineData(2, 3, 7, 5, 3, 2, 2, 1)]
    [InlineData(2, 3, 7, 5, 3, 2, 2, 2)]
    [InlineData(1, 2, 6, 9, 4, 3, 3, 2)]
    [InlineData(3, 1, 5, 5, 5, 5, 1, 0)]
    [InlineData(1, 1, 2, 3, 5, 5, 1, 2)] // windows larger than the image
    public void Col2im_is_the_adjoint_of_im2col(int n, int c, int h, int w, int fh, int fw, int stride, int pad)
    {
        var random = new Random(n * 1000 + h * 10 + pad + stride);
        var x = GradientCheck.Random([n, c, h, w], random, 1);
        var col = ImageColumns.Im2Col(x, fh, fw, stride, pad);
        int outH = (h + 2 * pad - fh) / stride + 1, outW = (w + 2 * pad - fw) / stride + 1;
        Assert.Equal([n * outH * outW, c * fh * fw], col.Shape.ToArray());

        var y = GradientCheck.Random(col.Shape.ToArray(), random, 1);
        double left = GradientCheck.Dot(col, y);
        double right = GradientCheck.Dot(x, ImageColumns.Col2Im(y, [n, c, h, w], fh, fw, stride, pad));
        Assert.True(Math.Abs(left - right) <= 1e-5 * Math.Max(1, Math.Abs(left)), $"<im2col(x), y> = {left}, <x, col2im(y)> = {right}");
    }

    [Fact]
    public void Settings_that_do_not_fit_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ImageColumns.Im2Col(Tensor.Zeros(3, 3), 2, 2));
        Assert.Throws<ArgumentException>(() => ImageColumns.Im2Col(OneToNine(), 4, 2));
        Assert.Throws<ArgumentException>(() => ImageColumns.Im2Col(OneToNine(), 2, 2, stride: 0));
        Assert.Throws<ArgumentException>(() => ImageColumns.Im2Col(OneToNine(), 2, 2, pad: -1));
        var e = Assert.Throws<ArgumentException>(() => ImageColumns.Col2Im(Tensor.Zeros(4, 3), [1, 1, 3, 3], 2, 2));
        Assert.Contains("(4, 4)", e.Message);
    }
}
