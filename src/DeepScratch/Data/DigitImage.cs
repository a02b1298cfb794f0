using StbImageSharp;

namespace DeepScratch.Data;

/// <summary>
/// A photo, scan or drawing of one handwritten digit turned into an MNIST-style 28x28 input the way MNIST was made
/// (LeCun et al.): greyscale, dark-on-light detected and inverted, cropped to the ink's bounding box, scaled to fit
/// 20x20 keeping the aspect ratio, placed in 28x28 so the ink's centre of mass is at the centre, values in [0, 1].
/// </summary>
/// <remarks>
/// <para>Polarity: the background is the median of the image's outer frame of pixels; when it is brighter than the
/// ink threshold, the image is dark ink on light paper and is inverted (MNIST is light ink on black).</para>
/// <para>Ink threshold: halfway between the means of Otsu's two classes of the grey histogram (the split that
/// maximises the between-class variance), so a grey or unevenly lit paper is background, not ink. The image has ink only when the two classes' means differ by
/// at least <see cref="MinimumContrast"/> grey levels: a blank or noise-only image is refused, not centred. Ink
/// pixels with fewer than two ink neighbours (isolated specks of sensor noise) are dropped before the bounding box is
/// taken. Values rise linearly from 0 at the threshold to 1 at the ink class's mean, so the background is exactly 0;
/// after scaling they are stretched so the strongest pixel is 1.</para>
/// <para>Scaling is by area averaging (each output pixel is the mean of the source area it covers), which
/// anti-aliases as MNIST's normalisation did. The 20x20 box is shifted by whole pixels so the centre of mass lies within
/// half a pixel of (14, 14) (pixel centres at i + 0.5), except when that would push ink out of the frame: then it is
/// moved only as far as the frame allows.</para>
/// </remarks>
public static class DigitImage
{
    /// <summary>Side of the network's input: 28 pixels.</summary>
    public const int Size = 28;

    /// <summary>Side of the box the ink is scaled to fit (MNIST's 20 pixels).</summary>
    public const int BoxSize = 20;

    /// <summary>Largest image accepted, in pixels (width x height): 50 megapixels, above any phone photo.</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>Largest image file read, in bytes (256 MiB).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Least difference, in grey levels of 255, between the ink's and the background's mean for an image to hold ink.</summary>
    public const int MinimumContrast = 48;

    /// <summary>
    /// The one line for an image without ink (one shade, or too little contrast), used by <see cref="FromGrey"/> and by
    /// callers that get pixels another way (the web API's JSON pixels), so every route says it the same way.
    /// </summary>
    /// <param name="name">What to call the image: a file name, "the pixels".</param>
    public static string NoInkMessage(string name) =>
        $"{name}: no ink found (the image is one shade, or its darkest and lightest parts differ by less than {MinimumContrast} of 255 grey levels).";

    /// <summary>Classes a digit classifier gives: the ten digits.</summary>
    public const int Classes = 10;

    /// <summary>Checks that <paramref name="model"/> can classify a prepared digit: 28x28 inputs (784) and 10 classes.</summary>
    /// <param name="model">The network.</param>
    /// <param name="name">The model file, for the message.</param>
    /// <param name="user">Who needs it, for the message: "serve", "predict --image".</param>
    /// <exception cref="InvalidDataException">The network takes another number of inputs or gives another number of classes.</exception>
    public static void RequireDigitClassifier(DeepScratch.Models.IClassifier model, string name, string user)
    {
        ArgumentNullException.ThrowIfNull(model);
        int inputs = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (inputs != Size * Size || model.Classes != Classes)
        {
            throw new InvalidDataException(
                $"{name}: {user} needs a network of 28x28 inputs ({Size * Size}) and {Classes} classes; this one takes {inputs} inputs and gives {model.Classes} classes.");
        }
    }

    /// <summary>Reads and prepares the digit image in <paramref name="path"/> (PNG, JPEG, BMP; also GIF, TGA, PSD as StbImageSharp decodes them).</summary>
    /// <returns>The 28x28 input and how it was made.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an image StbImageSharp can decode, or is larger than
    /// <see cref="MaxFileBytes"/> or <see cref="MaxPixels"/>.</exception>
    /// <exception cref="EmptyDigitImageException">The image holds no ink.</exception>
    public static DigitInput Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        if (stream.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{path}: the file is {stream.Length} bytes, more than the {MaxFileBytes} an image may have.");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return FromEncoded(bytes, path);
    }

    /// <summary>The image formats a digit is read from (the list every message, help text and MIME check uses).</summary>
    public static IReadOnlyList<ImageFormat> Formats { get; } =
    [
        new("PNG", [".png"], "image/png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        new("JPEG", [".jpg", ".jpeg"], "image/jpeg", [0xFF, 0xD8, 0xFF]),
        new("BMP", [".bmp"], "image/bmp", [(byte)'B', (byte)'M']),
    ];

    /// <summary>The names of <see cref="Formats"/> for messages: "PNG, JPEG or BMP".</summary>
    public static string FormatNames { get; } =
        $"{string.Join(", ", Formats.Take(Formats.Count - 1).Select(f => f.Name))} or {Formats[^1].Name}";

    /// <summary>The format of <see cref="Formats"/> whose magic bytes <paramref name="encoded"/> starts with, or null.</summary>
    public static ImageFormat? IdentifyFormat(ReadOnlySpan<byte> encoded)
    {
        foreach (var format in Formats)
        {
            if (encoded.StartsWith(format.Magic))
            {
                return format;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads only the header of an encoded image: its width and height in pixels, or false when the header is not
    /// understood or the file ends before what its header announces (a cut JPEG header would make the decoder loop).
    /// </summary>
    /// <remarks>Allocates no pixels, so a caller can refuse a huge image before <see cref="FromEncoded"/> decodes it.</remarks>
    public static bool TryReadSize(byte[] encoded, out int width, out int height)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        (width, height) = (0, 0);
        if (CutShort(encoded) is not null)
        {
            return false; // StbImageSharp's header reader loops forever on some cut JPEG headers
        }

        try
        {
            using var header = new MemoryStream(encoded, writable: false);
            if (ImageInfo.FromStream(header) is { } info)
            {
                (width, height) = (info.Width, info.Height);
                return true;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A damaged header reads as not understood; the decoder gives the reason.
        }

        return false;
    }

    /// <summary>Prepares a digit image given as an encoded file's bytes (PNG, JPEG, BMP).</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="name">What to call the image in messages (a file name, "the request body").</param>
    /// <param name="maxPixels">Largest image accepted, width x height (default <see cref="MaxPixels"/>; a server passes a
    /// smaller one), checked from the header before the pixels are decoded.</param>
    /// <exception cref="InvalidDataException">As for <see cref="Load"/>, or larger than <paramref name="maxPixels"/>.</exception>
    /// <exception cref="EmptyDigitImageException">The image holds no ink.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPixels"/> is not in 1..<see cref="MaxPixels"/>.</exception>
    public static DigitInput FromEncoded(byte[] encoded, string name, long maxPixels = MaxPixels)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPixels, MaxPixels);
        int width, height;
        byte[] greyAlpha;
        try
        {
            ThrowIfCutShort(encoded, name);
            // The header first: a 20 000 x 20 000 image is refused before its pixels are allocated. When the header is
            // not understood, the decode below fails on it too, with the decoder's reason.
            using (var header = new MemoryStream(encoded, writable: false))
            {
                if (ImageInfo.FromStream(header) is { } info)
                {
                    CheckSize(info.Width, info.Height, name, maxPixels);
                    CheckHoldable(info.Width, info.Height, encoded, name);
                }
            }

            var image = ImageResult.FromMemory(encoded, ColorComponents.GreyAlpha);
            (width, height, greyAlpha) = (image.Width, image.Height, image.Data);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            // StbImageSharp reports a damaged or unknown file with InvalidOperationException, or an index or format error.
            throw Unreadable(encoded, name, e);
        }

        CheckSize(width, height, name, maxPixels);
        var grey = new byte[width * height];
        for (int i = 0; i < grey.Length; i++)
        {
            // Transparent pixels are paper: composited over white, as a drawing program shows them.
            int g = greyAlpha[2 * i], a = greyAlpha[(2 * i) + 1];
            grey[i] = (byte)(((g * a) + (255 * (255 - a)) + 127) / 255);
        }

        return FromGrey(grey, width, height, name);
    }

    /// <summary>Prepares a digit from greyscale pixels (row-major, 0 black to 255 white, either polarity).</summary>
    /// <param name="grey">width x height pixels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="name">What to call the image in messages.</param>
    /// <exception cref="ArgumentException"><paramref name="grey"/> does not hold width x height pixels.</exception>
    /// <exception cref="InvalidDataException">Larger than <see cref="MaxPixels"/>.</exception>
    /// <exception cref="EmptyDigitImageException">The image holds no ink.</exception>
    public static DigitInput FromGrey(ReadOnlySpan<byte> grey, int width, int height, string name)
    {
        CheckSize(width, height, name);
        if (grey.Length != (long)width * height)
        {
            throw new ArgumentException($"{grey.Length} pixels given for a {width}x{height} image.", nameof(grey));
        }

        Span<long> histogram = stackalloc long[256];
        foreach (byte g in grey)
        {
            histogram[g]++;
        }

        var (darkMean, lightMean) = Otsu(histogram, grey.Length);
        if (lightMean - darkMean < MinimumContrast)
        {
            throw new EmptyDigitImageException(NoInkMessage(name));
        }

        // The cut halfway between Otsu's two class means (the fixed point Otsu's threshold satisfies), so a two-shade
        // drawing is cut in the middle, not at the edge of the tie.
        double cut = (darkMean + lightMean) / 2;
        bool inverted = FrameMedian(grey, width, height) > cut;

        // Ink intensity in [0, 1]: 0 up to the cut, 1 from the ink class's mean on.
        double full = inverted ? cut - darkMean : lightMean - cut;
        var ink = new float[grey.Length];
        for (int i = 0; i < ink.Length; i++)
        {
            double above = inverted ? cut - grey[i] : grey[i] - cut;
            ink[i] = above <= 0 ? 0f : (float)Math.Min(1.0, above / full);
        }

        DropSpecks(ink, width, height);
        if (!BoundingBox(ink, width, height, out int x0, out int y0, out int x1, out int y1))
        {
            throw new EmptyDigitImageException($"{name}: no ink found (only isolated specks stand out from the background).");
        }

        int boxWidth = x1 - x0, boxHeight = y1 - y0;
        double scale = (double)BoxSize / Math.Max(boxWidth, boxHeight);
        int outWidth = Math.Clamp((int)Math.Round(boxWidth * scale), 1, BoxSize);
        int outHeight = Math.Clamp((int)Math.Round(boxHeight * scale), 1, BoxSize);
        var box = Resample(ink, width, x0, y0, boxWidth, boxHeight, outWidth, outHeight);

        // Centre of mass of the box (pixel centres at i + 0.5), then the whole-pixel shift that brings it nearest to
        // (14, 14), kept inside the frame.
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                double v = box[(y * outWidth) + x];
                mass += v;
                mx += v * (x + 0.5);
                my += v * (y + 0.5);
            }
        }

        if (mass <= 0)
        {
            throw new EmptyDigitImageException($"{name}: no ink found.");
        }

        int left = Math.Clamp((int)Math.Round((Size / 2.0) - (mx / mass)), 0, Size - outWidth);
        int top = Math.Clamp((int)Math.Round((Size / 2.0) - (my / mass)), 0, Size - outHeight);
        var pixels = new float[Size * Size];
        for (int y = 0; y < outHeight; y++)
        {
            box.AsSpan(y * outWidth, outWidth).CopyTo(pixels.AsSpan(((top + y) * Size) + left));
        }

        return new DigitInput(pixels, width, height, inverted, (int)Math.Round(cut), (x0, y0, boxWidth, boxHeight));
    }

    private static void CheckSize(int width, int height, string name, long maxPixels = MaxPixels)
    {
        if (width <= 0 || height <= 0)
        {
            throw new InvalidDataException($"{name}: the image has no pixels ({width}x{height}).");
        }

        if ((long)width * height > maxPixels)
        {
            throw new InvalidDataException($"{name}: the image is {width}x{height} pixels, more than the {Megapixels(maxPixels)} megapixels accepted; scale it down first.");
        }
    }

    /// <summary>
    /// The most pixels an honest file of <paramref name="encoded"/>'s format and length can describe, so a header that
    /// claims more (a small file saying 7000x7000) is refused before the decoder allocates and fills that raster:
    /// PNG 8,256 per byte (1-bit pixels, deflate's 1,032:1 maximum), JPEG 512 (every 8x8 block of every component
    /// needs at least a 1-bit Huffman code), BMP 8 (1-bit pixels; StbImageSharp reads no RLE), GIF 11,000 (3-bit LZW
    /// codes of up to 4,096 pixels each), other formats 128 (run-length TGA and PSD: 128 pixels per 2 bytes at most).
    /// </summary>
    public static long MostPixelsIn(ReadOnlySpan<byte> encoded)
    {
        long perByte = IdentifyFormat(encoded)?.Name switch
        {
            "PNG" => 8 * 1032,
            "JPEG" => 512,
            "BMP" => 8,
            _ when encoded.StartsWith("GIF8"u8) => 11_000,
            _ => 128,
        };
        return perByte * encoded.Length;
    }

    /// <summary>Refuses a header claiming more pixels than <see cref="MostPixelsIn"/> the file: it is cut short or lies.</summary>
    private static void CheckHoldable(int width, int height, ReadOnlySpan<byte> encoded, string name)
    {
        if ((long)width * height > MostPixelsIn(encoded))
        {
            string format = IdentifyFormat(encoded)?.Name ?? "image";
            throw new InvalidDataException(
                $"{name}: the {format} header claims {width}x{height} pixels, more than {encoded.Length} bytes of {format} data can hold; the file is cut short or damaged.");
        }
    }

    /// <summary>A pixel count in megapixels for messages: 50, 4, 0.5.</summary>
    public static string Megapixels(long pixels) => (pixels / 1e6).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The line for a file the decoder refused. StbImageSharp's reason is a short code ("zlib corrupt") or, for a PNG
    /// cut short, a chunk name padded with NUL characters: it is quoted only when it is short printable text.
    /// </summary>
    private static InvalidDataException Unreadable(ReadOnlySpan<byte> encoded, string name, Exception e)
    {
        string reason = e.Message.TrimEnd('.');
        bool readable = reason.Length is >= 3 and <= 60 && reason.All(c => c is >= ' ' and <= '~') && reason.Any(char.IsAsciiLetter);
        string says = readable ? $"; the decoder says: {reason}" : "";
        string? format = IdentifyFormat(encoded)?.Name;
        string detail = format is null ? $"{FormatNames} expected" : $"the {format} file is cut short or damaged";
        return new InvalidDataException($"{name}: not an image this program can read ({detail}{says}).", e);
    }

    /// <summary>
    /// Refuses a JPEG or BMP whose bytes end before what its own header announces: StbImageSharp fills the missing
    /// part with grey or black (which the ink detection would take for ink), and loops forever on some cut JPEG headers.
    /// </summary>
    private static void ThrowIfCutShort(ReadOnlySpan<byte> b, string name)
    {
        if (CutShort(b) is { } missing)
        {
            // A PNG keeps the line it always had for a cut file (the chunk detail means little to a user).
            string format = IdentifyFormat(b)!.Name;
            throw new InvalidDataException(format == "PNG"
                ? $"{name}: not an image this program can read (the PNG file is cut short or damaged)."
                : $"{name}: not an image this program can read (the {format} file is cut short: {missing}).");
        }
    }

    /// <summary>Why a JPEG, BMP or PNG ends before what its own header announces, else null.</summary>
    private static string? CutShort(ReadOnlySpan<byte> b) => IdentifyFormat(b)?.Name switch
    {
        "JPEG" => JpegCutShort(b),
        "BMP" => BmpCutShort(b),
        "PNG" => PngCutShort(b),
        _ => null,
    };

    /// <summary>
    /// Why a PNG is cut short (an IDAT chunk's length runs past the end of the file), else null. StbImageSharp grows
    /// its buffer to an IDAT chunk's claimed length (up to 1 GiB) before reading it, so a lying length is refused
    /// first; any other damage (no IHDR first, another chunk running past the end) is left to the decoder's reason.
    /// </summary>
    private static string? PngCutShort(ReadOnlySpan<byte> b)
    {
        if (b.Length < 16 || !b.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return null;
        }

        int i = 8;
        while (i + 8 <= b.Length)
        {
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b[i..]);
            var type = b.Slice(i + 4, 4);
            long left = b.Length - i - 12L;
            if (length > left)
            {
                return type.SequenceEqual("IDAT"u8) ? $"its IDAT chunk claims {length} bytes but only {Math.Max(left, 0)} follow" : null;
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return null;
            }

            i += 12 + (int)length;
        }

        return null;
    }

    /// <summary>Why a JPEG is cut short (a segment runs past the end, or no end-of-image marker after the scan), else null.</summary>
    private static string? JpegCutShort(ReadOnlySpan<byte> b)
    {
        int i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF)
            {
                // Not a marker: the decoder skips such bytes one by one looking for the next marker (and loops forever
                // when none comes before the end), so they are skipped here too.
                i++;
                continue;
            }

            byte marker = b[i + 1];
            if (marker == 0xFF || marker == 0x01 || marker is >= 0xD0 and <= 0xD7)
            {
                i += marker == 0xFF ? 1 : 2;
                continue;
            }

            if (marker == 0xD9)
            {
                return null;
            }

            if (marker == 0xDA)
            {
                // Entropy-coded data escapes 0xFF as FF 00, so FF D9 after the first scan is the end-of-image marker.
                return b[i..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) < 0 ? "it ends before its end-of-image marker" : null;
            }

            i += 2 + ((b[i + 2] << 8) | b[i + 3]);
        }

        return $"it ends inside its header, at byte {b.Length}";
    }

    /// <summary>Why a BMP is cut short (header or uncompressed pixel rows past the end), else null.</summary>
    private static string? BmpCutShort(ReadOnlySpan<byte> b)
    {
        if (b.Length < 18)
        {
            return null; // too short to be recognised as a BMP: the decoder says "unknown image type"
        }

        long headerEnd = 14L + System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b[14..]);
        if (headerEnd > b.Length)
        {
            return $"it has {b.Length} bytes, its header alone {headerEnd}";
        }

        if (headerEnd < 54)
        {
            return null; // an old OS/2 header: left to the decoder
        }

        long width = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(b[18..]);
        long height = Math.Abs((long)System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(b[22..]));
        int bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(b[28..]);
        uint compression = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b[30..]);
        long offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b[10..]);
        if (compression is not (0 or 3) || width <= 0 || bits is not (1 or 4 or 8 or 16 or 24 or 32))
        {
            return null; // compressed rows have no fixed size
        }

        // Each row is padded to a whole number of 4-byte words.
        long need = offset + ((((bits * width) + 31) / 32) * 4 * height);
        return need > b.Length ? $"it has {b.Length} bytes, its header describes {need}" : null;
    }

    /// <summary>The means of Otsu's two classes: the split of the histogram that maximises the between-class variance.</summary>
    private static (double DarkMean, double LightMean) Otsu(ReadOnlySpan<long> histogram, long total)
    {
        double sumAll = 0;
        for (int g = 0; g < 256; g++)
        {
            sumAll += (double)g * histogram[g];
        }

        double best = -1, sumDark = 0;
        long dark = 0;
        (double, double) result = (0, 0);
        for (int t = 0; t < 255; t++)
        {
            dark += histogram[t];
            sumDark += (double)t * histogram[t];
            long light = total - dark;
            if (dark == 0 || light == 0)
            {
                continue;
            }

            double darkMean = sumDark / dark, lightMean = (sumAll - sumDark) / light;
            double between = (double)dark * light * (lightMean - darkMean) * (lightMean - darkMean);
            if (between > best)
            {
                best = between;
                result = (darkMean, lightMean);
            }
        }

        return result;
    }

    /// <summary>The median grey of the outermost row and column on each side: the paper, even when a stroke touches the edge.</summary>
    private static int FrameMedian(ReadOnlySpan<byte> grey, int width, int height)
    {
        Span<long> counts = stackalloc long[256];
        long n = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (y == 0 || y == height - 1 || x == 0 || x == width - 1)
                {
                    counts[grey[(y * width) + x]]++;
                    n++;
                }
                else if (x == 1)
                {
                    x = width - 2;
                }
            }
        }

        long half = (n + 1) / 2, seen = 0;
        for (int g = 0; g < 256; g++)
        {
            seen += counts[g];
            if (seen >= half)
            {
                return g;
            }
        }

        return 255;
    }

    /// <summary>Clears ink pixels with fewer than two ink neighbours (of eight): sensor noise, not a pen stroke, which has at least two.</summary>
    private static void DropSpecks(float[] ink, int width, int height)
    {
        var drop = new List<int>();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (ink[(y * width) + x] <= 0)
                {
                    continue;
                }

                int neighbours = 0;
                for (int dy = -1; dy <= 1; dy++)
                {
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < width && ny < height && ink[(ny * width) + nx] > 0)
                        {
                            neighbours++;
                        }
                    }
                }

                if (neighbours < 2)
                {
                    drop.Add((y * width) + x);
                }
            }
        }

        foreach (int i in drop)
        {
            ink[i] = 0;
        }
    }

    /// <summary>The half-open box [x0, x1) x [y0, y1) of the non-zero pixels; false when there are none.</summary>
    private static bool BoundingBox(float[] ink, int width, int height, out int x0, out int y0, out int x1, out int y1)
    {
        (x0, y0, x1, y1) = (width, height, 0, 0);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (ink[(y * width) + x] > 0)
                {
                    (x0, y0) = (Math.Min(x0, x), Math.Min(y0, y));
                    (x1, y1) = (Math.Max(x1, x + 1), Math.Max(y1, y + 1));
                }
            }
        }

        return x1 > x0;
    }

    /// <summary>Area-average resampling of the source box to outWidth x outHeight, one axis at a time.</summary>
    private static float[] Resample(float[] source, int stride, int x0, int y0, int w, int h, int outWidth, int outHeight)
    {
        var weightsX = AreaWeights(w, outWidth);
        var weightsY = AreaWeights(h, outHeight);
        var rows = new double[h * outWidth];
        for (int y = 0; y < h; y++)
        {
            int row = ((y0 + y) * stride) + x0;
            foreach (var (o, s, weight) in weightsX)
            {
                rows[(y * outWidth) + o] += weight * source[row + s];
            }
        }

        var result = new float[outWidth * outHeight];
        foreach (var (o, s, weight) in weightsY)
        {
            for (int x = 0; x < outWidth; x++)
            {
                result[(o * outWidth) + x] += (float)(weight * rows[(s * outWidth) + x]);
            }
        }

        // Stretched so the strongest pixel is 1, as in MNIST, where nearly every digit reaches 255: a thin pen on a
        // large canvas would otherwise be averaged down to a faint grey.
        float max = result.Max();
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = max > 0 ? Math.Clamp(result[i] / max, 0f, 1f) : 0f;
        }

        return result;
    }

    /// <summary>(output index, source index, weight): the share of each output pixel's span that each source pixel covers.</summary>
    private static List<(int Out, int Source, double Weight)> AreaWeights(int inSize, int outSize)
    {
        var weights = new List<(int, int, double)>();
        double step = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double start = o * step, end = (o + 1) * step;
            for (int s = (int)Math.Floor(start); s < Math.Min(inSize, (int)Math.Ceiling(end)); s++)
            {
                double overlap = Math.Min(end, s + 1) - Math.Max(start, s);
                if (overlap > 0)
                {
                    weights.Add((o, s, overlap / step));
                }
            }
        }

        return weights;
    }
}

/// <summary>A digit image prepared by <see cref="DigitImage"/>.</summary>
/// <param name="Pixels">28x28 values in [0, 1], row-major, light ink on 0 as in MNIST: the network's input.</param>
/// <param name="SourceWidth">The original image's width in pixels.</param>
/// <param name="SourceHeight">The original image's height in pixels.</param>
/// <param name="Inverted">Whether the image was dark ink on light paper (and so inverted).</param>
/// <param name="Threshold">The ink threshold, in grey levels 0-255 of the original: halfway between Otsu's two class means.</param>
/// <param name="InkBox">The ink's bounding box in the original (x, y, width, height), after dropping isolated specks.</param>
public sealed record DigitInput(float[] Pixels, int SourceWidth, int SourceHeight, bool Inverted, int Threshold, (int X, int Y, int Width, int Height) InkBox)
{
    /// <summary>The input as 8-bit pixels (value x 255, rounded), for drawing it.</summary>
    public byte[] ToBytes() => [.. Pixels.Select(v => (byte)Math.Round(v * 255f))];
}

/// <summary>An encoded image format a digit is read from (one of <see cref="DigitImage.Formats"/>).</summary>
/// <param name="Name">The format's name: PNG.</param>
/// <param name="Extensions">The file name extensions, with the dot, lower case: .png.</param>
/// <param name="MimeType">The MIME type: image/png.</param>
/// <param name="Magic">The bytes every file of the format starts with.</param>
public sealed record ImageFormat(string Name, IReadOnlyList<string> Extensions, string MimeType, byte[] Magic);

/// <summary>An image with no ink: one shade, or nothing that stands out from the background (a clear error, never a centred blank).</summary>
/// <remarks>An <see cref="IOException"/> (InvalidDataException is sealed), so callers that treat bad files alike catch it too.</remarks>
public sealed class EmptyDigitImageException : IOException
{
    /// <summary>Creates the exception with a message naming the image.</summary>
    public EmptyDigitImageException(string message)
        : base(message)
    {
    }
}
