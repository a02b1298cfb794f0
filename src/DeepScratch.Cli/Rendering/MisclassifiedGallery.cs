using SkiaSharp;

namespace DeepScratch.Cli.Rendering;

/// <summary>One misclassified test image for the gallery: its index in the set, pixels, label and the network's class.</summary>
internal sealed record Misclassified(int Index, byte[] Pixels, int Label, int Predicted);

/// <summary>
/// The gallery of chapter 8's <c>misclassified_mnist.py</c>: misclassified test images in rows of five (the book's
/// 4 x 5 figure for its 20), dark ink on white as its <c>imshow(cmap=gray_r)</c>, each captioned with its index, its
/// label and the network's prediction (the book prints those as <c>{view index: (label, inference)}</c>).
/// </summary>
internal static class MisclassifiedGallery
{
    /// <summary>Images per row, as the book's <c>add_subplot(4, 5, ...)</c>.</summary>
    public const int Columns = 5;

    /// <summary>Each image pixel becomes a Scale x Scale square (nearest neighbour, so pixels stay crisp).</summary>
    public const int Scale = 4;

    private const int CellWidth = 160;
    private const int Margin = 12;
    private const int TitleHeight = 34;
    private const int LineHeight = 17;
    private const int CaptionLines = 3;

    /// <summary>Draws <paramref name="images"/> under <paramref name="title"/> and writes the PNG; returns its size in pixels.</summary>
    /// <param name="className">A class for a caption, e.g. "7" or "9 Ankle boot".</param>
    public static (int Width, int Height) Write(Stream output, IReadOnlyList<Misclassified> images, int rows, int columns, string title, Func<int, string> className)
    {
        var (imageWidth, imageHeight) = PictureSize.Check((long)columns * Scale, (long)rows * Scale, $"An image of {rows}x{columns} drawn {Scale} px a pixel");
        int cellHeight = imageHeight + 6 + CaptionLines * LineHeight;
        int gridColumns = Math.Min(Columns, Math.Max(images.Count, 1));
        int gridRows = (images.Count + Columns - 1) / Columns;
        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var titleFont = new SKFont(typeface, 16);
        // A gallery of one or two images is narrower than its title: the picture widens to show the whole title.
        int width = Math.Max(Margin + gridColumns * (CellWidth + Margin), 2 * Margin + (int)Math.Ceiling(titleFont.MeasureText(title)));
        int height = TitleHeight + Margin + gridRows * (cellHeight + Margin);

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(typeface, 13);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var wrong = new SKPaint { Color = new SKColor(0xC0, 0x10, 0x10), IsAntialias = true };
        using var frame = new SKPaint { Color = new SKColor(0xB0, 0xB0, 0xB0), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawText(title, Margin, 23, titleFont, ink);

        for (int i = 0; i < images.Count; i++)
        {
            var m = images[i];
            int left = Margin + (i % Columns) * (CellWidth + Margin);
            int top = TitleHeight + Margin + (i / Columns) * (cellHeight + Margin);
            int imageLeft = left + (CellWidth - imageWidth) / 2;
            using var digit = Digit(m.Pixels, rows, columns);
            // Nearest-neighbour sampling: every MNIST pixel becomes a crisp Scale x Scale square.
            canvas.DrawImage(digit, new SKRect(imageLeft, top, imageLeft + imageWidth, top + imageHeight), new SKSamplingOptions(SKFilterMode.Nearest));
            canvas.DrawRect(imageLeft - 1, top - 1, imageWidth + 1, imageHeight + 1, frame);
            float baseline = top + imageHeight + 6 + LineHeight - 4;
            canvas.DrawText($"#{m.Index}", left + 4, baseline, font, ink);
            canvas.DrawText($"label: {className(m.Label)}", left + 4, baseline + LineHeight, font, ink);
            canvas.DrawText($"predicted: {className(m.Predicted)}", left + 4, baseline + 2 * LineHeight, font, wrong);
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        png.SaveTo(output);
        return (width, height);
    }

    /// <summary>The image in grey, inverted (ink 255 becomes black) as the book's gray_r shows it.</summary>
    private static SKImage Digit(byte[] pixels, int rows, int columns)
    {
        var inverted = new byte[rows * columns];
        for (int i = 0; i < inverted.Length; i++)
        {
            inverted[i] = (byte)(255 - pixels[i]);
        }

        return SKImage.FromPixelCopy(new SKImageInfo(columns, rows, SKColorType.Gray8, SKAlphaType.Opaque), inverted, columns);
    }
}
