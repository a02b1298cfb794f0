using System.IO.Compression;
using System.Security.Cryptography;

namespace DeepScratch.Data;

/// <summary>
/// Fetches a <see cref="DatasetFile"/> from its mirrors, checks it against the published checksums and only then
/// moves it into place (temporary file, then rename), so an interrupted or corrupted download never leaves a bad file.
/// </summary>
public sealed class FileDownloader
{
    /// <summary>How long a download may receive nothing before it is abandoned for the next mirror.</summary>
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    /// <summary>Creates a downloader on the given client (a default one with a 5-minute timeout when null).</summary>
    public FileDownloader(HttpClient? http = null)
    {
        _http = http ?? CreateDefaultClient();
    }

    /// <summary>Downloads <paramref name="file"/> to <paramref name="destination"/>, trying each mirror in turn.</summary>
    /// <exception cref="DataUnavailableException">No mirror delivered a file matching the checksums.</exception>
    public void Download(DatasetFile file, string destination, IProgress<DownloadProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        string folder = Path.GetDirectoryName(Path.GetFullPath(destination))!;

        // Folders are made only once a server answers with the file, and removed again if nothing was kept, so a
        // mistyped --data leaves no empty folder tree behind.
        var created = new List<string>();
        var failures = new List<string>();
        foreach (var url in file.Urls)
        {
            string temp = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.part");
            try
            {
                Fetch(url, temp, file.FileName, progress, () => CreateFolder(folder, file.FileName, created));
                string? mismatch = Verify(temp, file.Digests);
                if (mismatch is not null)
                {
                    failures.Add($"{url}: {mismatch}");
                    continue;
                }

                File.Move(temp, destination, overwrite: true);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or UnauthorizedAccessException)
            {
                if (e is DataUnavailableException)
                {
                    RemoveEmpty(created);
                    throw;
                }

                failures.Add($"{url}: {Describe(e)}");
            }
            finally
            {
                TryDelete(temp);
            }
        }

        RemoveEmpty(created);
        throw new DataUnavailableException($"could not download {file.FileName} ({string.Join("; ", failures)})");
    }

    /// <summary>Creates <paramref name="folder"/> and the missing folders above it, recording each one made (outermost first).</summary>
    private static void CreateFolder(string folder, string fileName, List<string> created)
    {
        var missing = new List<string>();
        for (string? f = folder; f is not null && !Directory.Exists(f); f = Path.GetDirectoryName(f))
        {
            missing.Insert(0, f);
        }

        try
        {
            foreach (string f in missing)
            {
                Directory.CreateDirectory(f);
                created.Add(f);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataUnavailableException($"cannot create the folder {folder} for {fileName} ({ErrorText.Fragment(e)})", e);
        }
    }

    /// <summary>Removes the folders this download made, innermost first, as long as they are empty.</summary>
    private static void RemoveEmpty(List<string> created)
    {
        for (int i = created.Count - 1; i >= 0; i--)
        {
            try
            {
                if (!Directory.EnumerateFileSystemEntries(created[i]).Any())
                {
                    Directory.Delete(created[i]);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else is using the folder now: it is theirs to keep.
            }
        }

        created.Clear();
    }

    /// <summary>
    /// Null when any digest matches the file (as published, or its decompressed content), else what was found.
    /// </summary>
    public static string? Verify(string path, IReadOnlyList<FileDigest> digests)
    {
        if (digests.Count == 0)
        {
            return null;
        }

        var raw = ComputeDigests(path, decompress: false);
        Dictionary<string, string>? content = null;
        string corrupt = "";
        if (digests.Any(d => d.OfDecompressed) && IsGzip(path))
        {
            try
            {
                content = ComputeDigests(path, decompress: true);
            }
            catch (InvalidDataException)
            {
                // A broken gzip stream has no content to match: it is a mismatch, not a crash of the caller.
                corrupt = "; its gzip data is corrupt";
            }
        }

        foreach (var digest in digests)
        {
            var actual = digest.OfDecompressed ? content : raw;
            if (actual is not null && actual.TryGetValue(digest.Algorithm, out string? hex) &&
                string.Equals(hex, digest.Hex, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return $"checksum mismatch (got sha256 {raw["sha256"]}, md5 {raw["md5"]}{corrupt})";
    }

    private void Fetch(Uri url, string temp, string name, IProgress<DownloadProgress>? progress, Action createFolder)
    {
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        long? total = response.Content.Headers.ContentLength;
        using var body = response.Content.ReadAsStream();
        createFolder();
        using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[1 << 16];
        long received = 0;
        int read;
        while ((read = ReadWithIdleTimeout(body, buffer)) > 0)
        {
            output.Write(buffer, 0, read);
            received += read;
            progress?.Report(new DownloadProgress(name, received, total));
        }

        output.Flush(flushToDisk: true);
    }

    /// <summary>
    /// One read of the body that gives up when the server sends nothing for <see cref="IdleTimeout"/>: the client's
    /// own timeout stops at the response headers, and a mirror that stalls mid-file must not hang us forever.
    /// </summary>
    private static int ReadWithIdleTimeout(Stream body, byte[] buffer)
    {
        using var idle = new CancellationTokenSource(IdleTimeout);
        try
        {
            return body.ReadAsync(buffer, idle.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            throw new IOException($"the server sent nothing for {IdleTimeout.TotalSeconds:0} s");
        }
    }

    private static Dictionary<string, string> ComputeDigests(string path, bool decompress)
    {
        using var file = File.OpenRead(path);
        using Stream stream = decompress ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            md5.AppendData(buffer, 0, read);
            sha.AppendData(buffer, 0, read);
        }

        return new Dictionary<string, string>
        {
            ["md5"] = Convert.ToHexStringLower(md5.GetHashAndReset()),
            ["sha256"] = Convert.ToHexStringLower(sha.GetHashAndReset()),
        };
    }

    private static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
    }

    private static string Describe(Exception e) => e switch
    {
        TaskCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } h when !h.Message.Contains(inner.Message, StringComparison.Ordinal) =>
            $"{h.Message} ({inner.Message})",
        _ => e.Message,
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover .part file is harmless: it is never read as data.
        }
    }

    private static HttpClient CreateDefaultClient()
    {
        // A connect timeout of its own: on a network that silently drops packets the default waits minutes per mirror.
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("DeepScratch/0.1");
        return client;
    }
}
