using System.Buffers.Binary;
using System.IO.Compression;
using StbImageWriteSharp;

namespace DeepScratch.Hardening.Load;

/// <summary>
/// The load's PNG bodies: ordinary grey PNGs written by StbImageWriteSharp (not by the code under test, which only
/// reads them), and, by hand, the one thing a PNG writer will not make: a header that declares a size the data does
/// not hold (for the megapixel limit).
/// </summary>
public static class Png
{
    /// <summary>A grey PNG of <paramref name="pixels"/> (row by row, 0-255), each pixel enlarged to scale x scale.</summary>
    public static byte[] Gray(byte[] pixels, int width, int height, int scale = 1)
    {
        int w = width * scale, h = height * scale;
        var image = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                image[(y * w) + x] = pixels[((y / scale) * width) + (x / scale)];
            }
        }

        using var png = new MemoryStream();
        new ImageWriter().WritePng(image, w, h, ColorComponents.Grey, png);
        return png.ToArray();
    }

    /// <summary>A PNG whose header declares <paramref name="width"/> x <paramref name="height"/> but whose data holds one blank row.</summary>
    public static byte[] DeclaringSize(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(new byte[width + 1]);
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // grey
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        png.Write(four);
        byte[] typed = [.. type.Select(c => (byte)c), .. data];
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc(typed));
        png.Write(four);
    }

    /// <summary>The PNG chunk CRC (CRC-32, polynomial 0xEDB88320), bit by bit: only a few header bytes need it.</summary>
    private static uint Crc(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }
        }

        return c ^ 0xFFFFFFFF;
    }
}
