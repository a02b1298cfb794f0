namespace DeepScratch.Functions;

/// <summary>
/// The book's <c>im2col</c> / <c>col2im</c> (<c>common/util.py</c>, chapter 7): every filter-sized patch of a batch of
/// images (N, C, H, W) becomes one row of a matrix, so that a convolution is one matrix product. Pixels outside the
/// image (the padding) read as 0.
/// </summary>
public static class ImageColumns
{
    /// <summary>
    /// The number of filter positions along one axis, the book's <c>(H + 2*pad - filter_h) // stride + 1</c>
    /// (a last partial step is dropped, as numpy's integer division drops it).
    /// </summary>
    /// <exception cref="ArgumentException">The stride is not positive, the padding is negative, the filter is empty,
    /// or the filter does not fit in the padded input.</exception>
    public static int OutputSize(int input, int filter, int stride, int pad)
    {
        if (stride < 1 || pad < 0 || filter < 1 || input < 0)
        {
            throw new ArgumentException(
                $"A window needs stride >= 1, pad >= 0 and a size >= 1; got size {filter}, stride {stride}, pad {pad} on an input of {input}.");
        }

        if (input + 2 * pad < filter)
        {
            throw new ArgumentException(
                $"A window of {filter} does not fit in an input of {input} padded by {pad} on each side ({input + 2 * pad}).");
        }

        return (input + 2 * pad - filter) / stride + 1;
    }

    /// <summary>
    /// The book's <c>im2col(input_data, filter_h, filter_w, stride, pad)</c>: row (n, y, x) — in that order, n slowest —
    /// holds the patch under the filter at output position (y, x) of image n, flattened as (C, filter_h, filter_w).
    /// </summary>
    /// <param name="input">Images (N, C, H, W).</param>
    /// <param name="filterH">Filter height.</param>
    /// <param name="filterW">Filter width.</param>
    /// <param name="stride">Step between filter positions, both axes.</param>
    /// <param name="pad">Zeros added on each side, both axes.</param>
    /// <returns>col (N*out_h*out_w, C*filter_h*filter_w).</returns>
    /// <exception cref="ArgumentException">The input is not 4-D, or the window settings do not fit it (see <see cref="OutputSize"/>).</exception>
    public static Tensor Im2Col(Tensor input, int filterH, int filterW, int stride = 1, int pad = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = Geometry.Of(input.Shape, filterH, filterW, stride, pad, "im2col input");
        var col = Tensor.Zeros(g.N * g.OutH * g.OutW, g.C * filterH * filterW);
        Walk(g, input.Span, col.Span, toColumns: true);
        return col;
    }

    /// <summary>
    /// The book's <c>col2im(col, input_shape, filter_h, filter_w, stride, pad)</c>, the adjoint of <see cref="Im2Col"/>:
    /// each row's values are added back onto the pixels of the patch they came from (overlapping patches add up) and
    /// the padding is dropped. It turns the gradient of col into the gradient of the images.
    /// </summary>
    /// <param name="col">(N*out_h*out_w, C*filter_h*filter_w), as <see cref="Im2Col"/> lays it out.</param>
    /// <param name="inputShape">The images' shape (N, C, H, W).</param>
    /// <param name="filterH">Filter height.</param>
    /// <param name="filterW">Filter width.</param>
    /// <param name="stride">Step between filter positions, both axes.</param>
    /// <param name="pad">Zeros added on each side, both axes.</param>
    /// <returns>A new tensor of <paramref name="inputShape"/>.</returns>
    /// <exception cref="ArgumentException">The shape is not 4-D, the window settings do not fit it, or col does not have the shape im2col gives.</exception>
    public static Tensor Col2Im(Tensor col, ReadOnlySpan<int> inputShape, int filterH, int filterW, int stride = 1, int pad = 0)
    {
        ArgumentNullException.ThrowIfNull(col);
        var g = Geometry.Of(inputShape, filterH, filterW, stride, pad, "col2im input shape");
        int rows = g.N * g.OutH * g.OutW;
        int cols = g.C * filterH * filterW;
        if (col.Rank != 2 || col.Dim(0) != rows || col.Dim(1) != cols)
        {
            throw new ArgumentException(
                $"col2im to {Tensor.FormatShape(inputShape)} with a {filterH}x{filterW} filter, stride {stride}, pad {pad} needs col ({rows}, {cols}); got {col.ShapeString}.",
                nameof(col));
        }

        var image = Tensor.Zeros(inputShape.ToArray());
        Walk(g, image.Span, col.Span, toColumns: false);
        return image;
    }

    /// <summary>
    /// Visits every (row, column) of col with its pixel: copies pixel to col (im2col) or adds col to pixel (col2im).
    /// The innermost run is a filter row, contiguous in both the image and col, clipped to the unpadded image.
    /// </summary>
    private static void Walk(Geometry g, Span<float> image, Span<float> col, bool toColumns)
    {
        int fh = g.FilterH, fw = g.FilterW;
        int rowLength = g.C * fh * fw;
        int plane = g.H * g.W;
        int row = 0;
        for (int n = 0; n < g.N; n++)
        {
            for (int oy = 0; oy < g.OutH; oy++)
            {
                for (int ox = 0; ox < g.OutW; ox++, row++)
                {
                    int x0 = ox * g.Stride - g.Pad;
                    int kxStart = Math.Max(0, -x0);
                    int kxEnd = Math.Min(fw, g.W - x0);
                    int run = kxEnd - kxStart;
                    var colRow = col.Slice(row * rowLength, rowLength);
                    for (int c = 0; c < g.C; c++)
                    {
                        int channelBase = (n * g.C + c) * plane;
                        for (int ky = 0; ky < fh; ky++)
                        {
                            int y = oy * g.Stride - g.Pad + ky;
                            if (y < 0 || y >= g.H || run <= 0)
                            {
                                continue; // padding: col keeps its 0 (im2col) or is dropped (col2im)
                            }

                            var pixels = image.Slice(channelBase + y * g.W + x0 + kxStart, run);
                            var cells = colRow.Slice((c * fh + ky) * fw + kxStart, run);
                            if (toColumns)
                            {
                                pixels.CopyTo(cells);
                            }
                            else
                            {
                                System.Numerics.Tensors.TensorPrimitives.Add(pixels, cells, pixels);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// im2col of ONE image in the transposed layout the convolution multiplies by: row (c, ky, kx) of
    /// <paramref name="columns"/> (C·FH·FW rows of out_h·out_w) holds, for every output position (y, x), the pixel under
    /// filter cell (ky, kx) of channel c, or 0 in the padding. It is <see cref="Im2Col"/>'s matrix for that image,
    /// transposed, so W (FN, C·FH·FW) times it is the image's output (FN, out_h·out_w) already in (C, H, W) order.
    /// </summary>
    internal static void Im2ColTransposed(ReadOnlySpan<float> image, int channels, int height, int width,
        int filterH, int filterW, int stride, int pad, int outH, int outW, Span<float> columns) =>
        WalkTransposed(MemoryMarshalSpan(image), channels, height, width, filterH, filterW, stride, pad, outH, outW, columns, toColumns: true);

    /// <summary>
    /// The adjoint of <see cref="Im2ColTransposed"/> (col2im of one image): adds every entry of
    /// <paramref name="columns"/> onto the pixel it was read from (padding dropped). <paramref name="image"/> is
    /// accumulated into, so it must start at 0.
    /// </summary>
    internal static void Col2ImTransposed(ReadOnlySpan<float> columns, int channels, int height, int width,
        int filterH, int filterW, int stride, int pad, int outH, int outW, Span<float> image) =>
        WalkTransposed(image, channels, height, width, filterH, filterW, stride, pad, outH, outW, MemoryMarshalSpan(columns), toColumns: false);

    private static Span<float> MemoryMarshalSpan(ReadOnlySpan<float> span) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span), span.Length);

    /// <summary>
    /// Visits every (filter cell, output position) of one image: copies pixels to columns or adds columns to pixels.
    /// For each filter cell and output row, the output columns whose pixel is inside the image form one range
    /// [ox0, ox1); the rest is padding (0 in the columns, dropped in the image).
    /// </summary>
    private static void WalkTransposed(Span<float> image, int channels, int height, int width, int fh, int fw,
        int stride, int pad, int outH, int outW, Span<float> columns, bool toColumns)
    {
        int positions = outH * outW;
        for (int c = 0; c < channels; c++)
        {
            var plane = image.Slice(c * height * width, height * width);
            for (int ky = 0; ky < fh; ky++)
            {
                for (int kx = 0; kx < fw; kx++)
                {
                    var row = columns.Slice(((c * fh + ky) * fw + kx) * positions, positions);
                    // x = ox·stride − pad + kx is inside [0, width) for ox in [ox0, ox1).
                    int ox0 = Math.Min(outW, Math.Max(0, (pad - kx + stride - 1) / stride));
                    int ox1 = Math.Max(ox0, Math.Min(outW, (width - 1 + pad - kx) / stride + 1));
                    if (width - 1 + pad - kx < 0)
                    {
                        ox1 = ox0;
                    }

                    for (int oy = 0; oy < outH; oy++)
                    {
                        var cells = row.Slice(oy * outW, outW);
                        int y = oy * stride - pad + ky;
                        if (y < 0 || y >= height)
                        {
                            if (toColumns)
                            {
                                cells.Clear();
                            }

                            continue;
                        }

                        var line = plane.Slice(y * width, width);
                        if (toColumns)
                        {
                            cells[..ox0].Clear();
                            cells[ox1..].Clear();
                        }

                        int x0 = ox0 * stride - pad + kx;
                        if (stride == 1)
                        {
                            var pixels = line.Slice(x0, ox1 - ox0);
                            if (toColumns)
                            {
                                pixels.CopyTo(cells[ox0..ox1]);
                            }
                            else
                            {
                                System.Numerics.Tensors.TensorPrimitives.Add(pixels, cells[ox0..ox1], pixels);
                            }
                        }
                        else if (toColumns)
                        {
                            for (int ox = ox0, x = x0; ox < ox1; ox++, x += stride)
                            {
                                cells[ox] = line[x];
                            }
                        }
                        else
                        {
                            for (int ox = ox0, x = x0; ox < ox1; ox++, x += stride)
                            {
                                line[x] += cells[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The sizes of one im2col/col2im call.</summary>
    private readonly record struct Geometry(int N, int C, int H, int W, int FilterH, int FilterW, int Stride, int Pad, int OutH, int OutW)
    {
        public static Geometry Of(ReadOnlySpan<int> shape, int filterH, int filterW, int stride, int pad, string what)
        {
            if (shape.Length != 4)
            {
                throw new ArgumentException($"The {what} must be images (N, C, H, W); got shape {Tensor.FormatShape(shape)}.");
            }

            int outH = OutputSize(shape[2], filterH, stride, pad);
            int outW = OutputSize(shape[3], filterW, stride, pad);
            return new Geometry(shape[0], shape[1], shape[2], shape[3], filterH, filterW, stride, pad, outH, outW);
        }
    }
}
