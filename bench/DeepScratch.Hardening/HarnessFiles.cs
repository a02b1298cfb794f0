using System.IO.Compression;

namespace DeepScratch.Hardening;

/// <summary>A harness's private temporary folder (<c>deepscratch-NAME-XXXX</c> under the temp path), deleted on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    /// <summary>Creates a fresh, empty folder for the harness <paramref name="name"/>.</summary>
    public ScratchFolder(string name) => Path = Directory.CreateTempSubdirectory($"deepscratch-{name}-").FullName;

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Deletes the folder; a leftover (a child or an abandoned reader thread still holding a file) is not worth failing the run over.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the system's temp cleaning.
        }
    }
}

/// <summary>The gzip helpers of the harnesses' seeds and served files.</summary>
internal static class Gzip
{
    /// <summary><paramref name="data"/> gzip-compressed (fastest level).</summary>
    public static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary><paramref name="data"/> decompressed (trusted input: the real data files).</summary>
    public static byte[] Decompress(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
