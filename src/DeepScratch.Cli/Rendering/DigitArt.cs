using System.Text;
using StbImageWriteSharp;

namespace DeepScratch.Cli.Rendering;

/// <summary>Draws a grayscale image in the terminal (shade characters) and as an enlarged PNG.</summary>
internal static class DigitArt
{
    private static readonly char[] Shades = [' ', '░', '▒', '▓', '█'];

    /// <summary>
    /// One text line per pixel row, two characters per pixel so the digit keeps its proportions;
    /// darker shades are more ink, as on paper.
    /// </summary>
    public static string ToText(ReadOnlySpan<byte> pixels, int rows, int columns)
    {
        var sb = new StringBuilder(rows * (2 * columns + 3));
        sb.Append('┌').Append('─', 2 * columns).Append('┐').Append('\n');
        for (int r = 0; r < rows; r++)
        {
            sb.Append('│');
            for (int c = 0; c < columns; c++)
            {
                int value = pixels[r * columns + c];
                char shade = Shades[(value * (Shades.Length - 1) + 127) / 255];
                sb.Append(shade).Append(shade);
            }

            sb.Append('│').Append('\n');
        }

        return sb.Append('└').Append('─', 2 * columns).Append('┘').ToString();
    }

    /// <summary>
    /// Writes the image enlarged <paramref name="scale"/> times (nearest neighbour, so pixels stay crisp) as an
    /// 8-bit grayscale PNG, white ink on black as MNIST stores it (the book's <c>img_show</c>).
    /// </summary>
    public static void WritePng(Stream output, ReadOnlySpan<byte> pixels, int rows, int columns, int scale)
    {
        var (width, height) = PictureSize.Check((long)columns * scale, (long)rows * scale, $"An image of {rows}x{columns} drawn {scale} px a pixel");
        var image = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[y * width + x] = pixels[(y / scale) * columns + x / scale];
            }
        }

        new ImageWriter().WritePng(image, width, height, ColorComponents.Grey, output);
    }
}
