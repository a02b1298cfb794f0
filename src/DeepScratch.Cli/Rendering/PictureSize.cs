namespace DeepScratch.Cli.Rendering;

/// <summary>
/// The one limit on the pictures the CLI draws: a side of at most <see cref="MaxSide"/> pixels. Their sizes come from
/// files (a filter count, an image's rows and columns), so they are computed in long and checked before anything is allocated.
/// </summary>
internal static class PictureSize
{
    /// <summary>The longest side of a picture in pixels, a size image viewers open (the book's pictures are a few hundred).</summary>
    public const int MaxSide = 16384;

    /// <summary>Returns the size as ints when both sides are at most <see cref="MaxSide"/>.</summary>
    /// <param name="what">What would be drawn, for the message, e.g. "1x1 filters of 1700x1700".</param>
    /// <exception cref="InvalidDataException">A side exceeds <see cref="MaxSide"/>.</exception>
    public static (int Width, int Height) Check(long width, long height, string what) =>
        width <= MaxSide && height <= MaxSide
            ? ((int)width, (int)height)
            : throw new InvalidDataException($"{what} would make a picture of {width}x{height} pixels, more than the {MaxSide} a side the CLI draws.");
}
