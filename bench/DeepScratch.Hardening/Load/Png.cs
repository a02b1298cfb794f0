using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepScratch.Hardening.Load;

/// <summary>
/// A minimal PNG writer for the load's bodies (8-bit grey, no filter), written here so the request bodies do not come
/// from the code under test; also a header that declares any size (for the megapixel limit).
/// </summary>
public static class Png
{
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>A grey PNG of <paramref name="pixels"/> (row by row, 0-255), each pixel enlarged to scale x scale.</summary>
    public static byte[] Gray(byte[] pixels, int width, int height, int scale = 1)
    {
        int w = width * scale, h = height * scale;
        using var raw = new MemoryStream();
        var row = new byte[w + 1];
        for (int y = 0; y < h; y++)
        {
            row[0] = 0;
            for (int x = 0; x < w; x++)
            {
                row[x + 1] = pixels[((y / scale) * width) + (x / scale)];
            }

            raw.Write(row);
        }

        return Assemble(w, h, Compress(raw.ToArray()));
    }

    /// <summary>A PNG whose header declares <paramref name="width"/> x <paramref name="height"/> but whose data holds one blank row.</summary>
    public static byte[] DeclaringSize(int width, int height) => Assemble(width, height, Compress(new byte[width + 1]));

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Assemble(int width, int height, byte[] idat)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // grey
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        png.Write(four);
        var typed = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++)
        {
            typed[i] = (byte)type[i];
        }

        data.CopyTo(typed, 4);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc(typed));
        png.Write(four);
    }

    private static uint Crc(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return c ^ 0xFFFFFFFF;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
