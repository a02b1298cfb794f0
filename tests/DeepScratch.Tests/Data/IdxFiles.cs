using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepScratch.Tests.Data;

/// <summary>Builds IDX files byte by byte, so the tests do not depend on the reader they check.</summary>
internal static class IdxFiles
{
    /// <summary>Three 2x4 images with distinct, known pixels: image i holds 10*i + j at pixel j, and image 2 ends in 255.</summary>
    public static readonly byte[] SamplePixels =
    [
        0, 1, 2, 3, 4, 5, 6, 7,
        10, 11, 12, 13, 14, 15, 16, 17,
        128, 21, 22, 23, 24, 25, 26, 255,
    ];

    public static readonly byte[] SampleLabels = [7, 0, 9];

    /// <summary>An image file: magic 2051, count, rows, cols (big-endian), then <paramref name="pixels"/> as given.</summary>
    public static byte[] Images(int count, int rows, int cols, ReadOnlySpan<byte> pixels) =>
        Concat(Header(0x00000803, count, rows, cols), pixels);

    /// <summary>A label file: magic 2049, count (big-endian), then <paramref name="labels"/> as given.</summary>
    public static byte[] Labels(int count, ReadOnlySpan<byte> labels) => Concat(Header(0x00000801, count), labels);

    public static byte[] SampleImagesFile() => Images(3, 2, 4, SamplePixels);

    public static byte[] SampleLabelsFile() => Labels(3, SampleLabels);

    public static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Deterministic bytes that do not compress.</summary>
    public static byte[] Noise(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Header(params int[] words)
    {
        var header = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(i * 4), words[i]);
        }

        return header;
    }

    private static byte[] Concat(byte[] header, ReadOnlySpan<byte> payload)
    {
        var file = new byte[header.Length + payload.Length];
        header.CopyTo(file, 0);
        payload.CopyTo(file.AsSpan(header.Length));
        return file;
    }
}
