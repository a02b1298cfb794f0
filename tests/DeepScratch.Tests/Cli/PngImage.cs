using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// A PNG decoded by the tests themselves (signature, IHDR, zlib IDAT, the five row filters of the PNG spec), so a
/// picture's pixels are checked independently of the encoder that wrote them. 8-bit grey, grey+alpha, RGB and RGBA,
/// not interlaced: what StbImageWriteSharp and SkiaSharp write.
/// </summary>
internal sealed class PngImage
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private PngImage(int width, int height, int channels, byte[] pixels) => (Width, Height, Channels, Pixels) = (width, height, channels, pixels);

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    /// <summary>Row-major samples, <see cref="Channels"/> per pixel.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixel at (x, y) as (r, g, b); grey gives r = g = b.</summary>
    public (byte R, byte G, byte B) Rgb(int x, int y)
    {
        int i = (y * Width + x) * Channels;
        return Channels < 3 ? (Pixels[i], Pixels[i], Pixels[i]) : (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    public static PngImage Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        Assert.True(file.AsSpan(0, 8).SequenceEqual(Signature), $"{path} does not start with the PNG signature");
        int pos = 8, width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        while (pos < file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            var body = file.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                Assert.Equal(8, body[8]);  // bit depth
                channels = body[9] switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, var c => throw new InvalidDataException($"colour type {c}") };
                Assert.Equal(0, body[12]); // not interlaced
            }
            else if (type == "IDAT")
            {
                idat.Write(body);
            }
            else if (type == "IEND")
            {
                break;
            }

            pos += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        Assert.Equal(height * (stride + 1), raw.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int a = x >= channels ? pixels[y * stride + x - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
                int c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
                int value = raw[y * (stride + 1) + 1 + x];
                value += filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"row filter {filter}"),
                };
                pixels[y * stride + x] = (byte)value;
            }
        }

        return new PngImage(width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
