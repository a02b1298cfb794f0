using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepScratch.Tests.Images;

/// <summary>
/// A greyscale canvas the tests draw digits on with a round pen (polyline strokes, optional noise), written as PNG or
/// BMP by the tests' own encoders, so the images fed to DigitImage never come from the code under test.
/// </summary>
internal sealed class Canvas
{
    public Canvas(int width, int height, byte paper)
    {
        (Width, Height) = (width, height);
        Pixels = new byte[width * height];
        Array.Fill(Pixels, paper);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major grey, 0 black to 255 white.</summary>
    public byte[] Pixels { get; }

    /// <summary>Draws a polyline through <paramref name="points"/> with a pen of the given radius: every pixel whose centre is within the radius of a segment.</summary>
    public Canvas Stroke(byte ink, double radius, params (double X, double Y)[] points)
    {
        for (int k = 0; k + 1 < points.Length; k++)
        {
            var (ax, ay) = points[k];
            var (bx, by) = points[k + 1];
            int x0 = (int)Math.Max(0, Math.Floor(Math.Min(ax, bx) - radius)), x1 = (int)Math.Min(Width - 1, Math.Ceiling(Math.Max(ax, bx) + radius));
            int y0 = (int)Math.Max(0, Math.Floor(Math.Min(ay, by) - radius)), y1 = (int)Math.Min(Height - 1, Math.Ceiling(Math.Max(ay, by) + radius));
            for (int y = y0; y <= y1; y++)
            {
                for (int x = x0; x <= x1; x++)
                {
                    double px = x + 0.5, py = y + 0.5, dx = bx - ax, dy = by - ay;
                    double len2 = (dx * dx) + (dy * dy);
                    double t = len2 == 0 ? 0 : Math.Clamp((((px - ax) * dx) + ((py - ay) * dy)) / len2, 0, 1);
                    double ex = ax + (t * dx) - px, ey = ay + (t * dy) - py;
                    if ((ex * ex) + (ey * ey) <= radius * radius)
                    {
                        Pixels[(y * Width) + x] = ink;
                    }
                }
            }
        }

        return this;
    }

    /// <summary>An ellipse outline (a drawn zero) centred at (cx, cy).</summary>
    public Canvas Ellipse(byte ink, double radius, double cx, double cy, double rx, double ry)
    {
        var points = Enumerable.Range(0, 65).Select(i => (cx + (rx * Math.Cos(i * Math.PI / 32)), cy + (ry * Math.Sin(i * Math.PI / 32)))).ToArray();
        return Stroke(ink, radius, points);
    }

    /// <summary>Adds Gaussian noise of the given standard deviation (grey levels), seeded, clipped to 0-255.</summary>
    public Canvas Noise(double sigma, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < Pixels.Length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            double n = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            Pixels[i] = (byte)Math.Clamp(Math.Round(Pixels[i] + (sigma * n)), 0, 255);
        }

        return this;
    }

    /// <summary>255 - every pixel: light ink on dark.</summary>
    public Canvas Inverted()
    {
        var c = new Canvas(Width, Height, 0);
        for (int i = 0; i < Pixels.Length; i++)
        {
            c.Pixels[i] = (byte)(255 - Pixels[i]);
        }

        return c;
    }

    /// <summary>An 8-bit greyscale PNG (filter 0, zlib), or RGB when <paramref name="colour"/> (ink tinted blue).</summary>
    public byte[] ToPng(bool colour = false)
    {
        int channels = colour ? 3 : 1;
        using var raw = new MemoryStream();
        for (int y = 0; y < Height; y++)
        {
            raw.WriteByte(0);
            for (int x = 0; x < Width; x++)
            {
                byte g = Pixels[(y * Width) + x];
                if (colour)
                {
                    // Yellowish paper and a blue-black pen: the blue channel a shade off the others.
                    raw.WriteByte(g);
                    raw.WriteByte(g);
                    raw.WriteByte((byte)(g * 4 / 5));
                }
                else
                {
                    raw.WriteByte(g);
                }
            }
        }

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), Height);
        ihdr[8] = 8;
        ihdr[9] = (byte)(colour ? 2 : 0);
        return Png(ihdr, idat.ToArray());
    }

    /// <summary>
    /// A grey + alpha PNG as a browser canvas exports a drawing: the ink opaque, the paper transparent black (grey 0,
    /// alpha 0), anti-aliased edges partly transparent; the alpha is how far each pixel is from the paper shade.
    /// </summary>
    public byte[] ToTransparentPng(byte paper)
    {
        using var raw = new MemoryStream();
        for (int y = 0; y < Height; y++)
        {
            raw.WriteByte(0);
            for (int x = 0; x < Width; x++)
            {
                int g = Pixels[(y * Width) + x];
                raw.WriteByte(0);
                raw.WriteByte((byte)(255 * Math.Abs(paper - g) / Math.Max(1, (int)paper)));
            }
        }

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), Height);
        ihdr[8] = 8;
        ihdr[9] = 4;
        return Png(ihdr, idat.ToArray());
    }

    /// <summary>A baseline JPEG (StbImageWriteSharp, quality 90) of the canvas in grey.</summary>
    public byte[] ToJpeg()
    {
        using var file = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WriteJpg(Pixels, Width, Height, StbImageWriteSharp.ColorComponents.Grey, file, 90);
        return file.ToArray();
    }

    /// <summary>A PNG file from an IHDR body and IDAT data (the header may claim any size).</summary>
    public static byte[] Png(byte[] ihdr, byte[] idat)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(file, "IHDR", ihdr);
        Chunk(file, "IDAT", idat);
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>A 24-bit bottom-up BMP.</summary>
    public byte[] ToBmp()
    {
        int stride = ((Width * 3) + 3) & ~3;
        var file = new byte[54 + (stride * Height)];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), Width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), Height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        for (int y = 0; y < Height; y++)
        {
            int row = 54 + ((Height - 1 - y) * stride);
            for (int x = 0; x < Width; x++)
            {
                byte g = Pixels[(y * Width) + x];
                file[row + (3 * x)] = file[row + (3 * x) + 1] = file[row + (3 * x) + 2] = g;
            }
        }

        return file;
    }

    /// <summary>The PNG spec's CRC-32 (polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    private static void Chunk(Stream file, string type, byte[] body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        file.Write(word);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. body];
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        file.Write(word);
    }
}
