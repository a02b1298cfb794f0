using DeepScratch.Tensors;
using StbImageWriteSharp;

namespace DeepScratch.Cli.Rendering;

/// <summary>
/// The filters of a convolution as a grid of grey squares (chapter 7's <c>visualize_filter.py</c>, figure 7-24):
/// eight filters a row (its <c>nx=8</c>), channel 0 of each (its <c>filters[i, 0]</c>), every filter scaled on its own
/// from its smallest weight (black, 0) to its largest (white, 255), as the figure's caption describes; each weight a
/// square of <see cref="Scale"/> pixels, the filters separated by <see cref="Gap"/> pixels of a blue that no weight
/// takes, so the grid reads even where a filter's edge is white.
/// </summary>
internal static class FilterGrid
{
    /// <summary>Filters per row, as the book's <c>filter_show(filters, nx=8)</c>.</summary>
    public const int Columns = 8;

    /// <summary>Pixels between filters and around the grid.</summary>
    public const int Gap = 4;

    /// <summary>The grid's background, between the filters: light steel blue, never a grey a weight is drawn as.</summary>
    public static readonly (byte R, byte G, byte B) Background = (176, 196, 222);

    /// <summary>Pixels per weight: 10 (the book's <c>scale=10</c>), more for small filters so each is at least 48 px wide.</summary>
    public static int Scale(int filterHeight, int filterWidth) => Math.Max(10, (48 + Math.Max(filterHeight, filterWidth) - 1) / Math.Max(filterHeight, filterWidth));

    /// <summary>The most filters drawn (32 rows): the book's networks have 16 or 30; a file's count is otherwise unbounded.</summary>
    public const int MaxFilters = 256;

    /// <summary>How many of <paramref name="count"/> filters are drawn: all, up to <see cref="MaxFilters"/>.</summary>
    public static int Drawn(int count) => Math.Min(count, MaxFilters);

    /// <summary>
    /// Writes the grid of <paramref name="filters"/> (FN, C, FH, FW) as an RGB PNG and returns its size and layout:
    /// the first <see cref="Drawn"/> filters.
    /// </summary>
    /// <exception cref="InvalidDataException">The filters are so large that the picture would exceed <see cref="PictureSize.MaxSide"/> pixels a side.</exception>
    public static (int Width, int Height, int Rows, int Scale) WritePng(Stream output, Tensor filters)
    {
        int count = Drawn(filters.Dim(0)), channels = filters.Dim(1), fh = filters.Dim(2), fw = filters.Dim(3);
        var (width, height, rows, scale) = Layout(count, fh, fw);
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            (rgb[i], rgb[i + 1], rgb[i + 2]) = Background;
        }

        var values = filters.Span;
        int filterLength = channels * fh * fw;
        for (int f = 0; f < count; f++)
        {
            // Channel 0 of filter f, as the book draws filters[i, 0].
            var weights = values.Slice(f * filterLength, fh * fw);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (float w in weights)
            {
                min = Math.Min(min, w);
                max = Math.Max(max, w);
            }

            int left = Gap + (f % Columns) * (fw * scale + Gap);
            int top = Gap + (f / Columns) * (fh * scale + Gap);
            for (int y = 0; y < fh; y++)
            {
                for (int x = 0; x < fw; x++)
                {
                    // A constant filter (all weights equal) has no range to scale: mid grey.
                    byte grey = max > min ? (byte)Math.Round((weights[y * fw + x] - min) / (max - min) * 255.0) : (byte)128;
                    Fill(rgb, width, left + x * scale, top + y * scale, scale, grey);
                }
            }
        }

        new ImageWriter().WritePng(rgb, width, height, ColorComponents.RedGreenBlue, output);
        return (width, height, rows, scale);
    }

    /// <summary>The picture's size for <paramref name="count"/> filters of FH x FW, computed in long so that no size wraps.</summary>
    /// <exception cref="InvalidDataException">A side would exceed <see cref="PictureSize.MaxSide"/> pixels.</exception>
    public static (int Width, int Height, int Rows, int Scale) Layout(int count, int fh, int fw)
    {
        int scale = Scale(fh, fw);
        int rows = (count + Columns - 1) / Columns;
        long width = Gap + Math.Min(Columns, count) * ((long)fw * scale + Gap);
        long height = Gap + rows * ((long)fh * scale + Gap);
        var (w, h) = PictureSize.Check(width, height, $"{Math.Min(count, Columns)}x{rows} filters of {fh}x{fw}");
        return (w, h, rows, scale);
    }

    private static void Fill(byte[] rgb, int width, int left, int top, int size, byte grey)
    {
        for (int y = top; y < top + size; y++)
        {
            rgb.AsSpan((y * width + left) * 3, size * 3).Fill(grey);
        }
    }
}
