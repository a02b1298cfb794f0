using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using DeepScratch.Serialization;

namespace DeepScratch.Data;

/// <summary>
/// Fetches a <see cref="DatasetFile"/> from its mirrors, checks it against the published checksums and only then
/// moves it into place (temporary file, then rename), so an interrupted or corrupted download never leaves a bad file.
/// The temporary file is named as <see cref="AtomicFile"/>'s are (<c>.NAME.PID-RANDOM.tmp</c>), so one left by a killed
/// process is removed by the next download or save of the same file.
/// </summary>
public sealed class FileDownloader
{
    /// <summary>The default <see cref="IdleTimeout"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    /// <summary>
    /// Creates a downloader on the given client (a default one with a 5-minute timeout when null) that abandons a mirror
    /// after <paramref name="idleTimeout"/> without a byte (<see cref="DefaultIdleTimeout"/> when null).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="idleTimeout"/> is not positive.</exception>
    public FileDownloader(HttpClient? http = null, TimeSpan? idleTimeout = null)
    {
        if (idleTimeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(idleTimeout), t, "The idle timeout must be positive.");
        }

        _http = http ?? CreateDefaultClient();
        IdleTimeout = idleTimeout ?? DefaultIdleTimeout;
    }

    /// <summary>
    /// How long a mirror may send nothing (no response headers, or no byte of the body) before it is abandoned for the
    /// next one: the client's own timeout covers the whole response, and a mirror that stalls must not hang us for it.
    /// </summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>
    /// Downloads <paramref name="file"/> to <paramref name="destination"/>, trying each mirror in turn. The destination
    /// is only ever replaced by a complete file that matches the checksums; no temporary file is left behind.
    /// </summary>
    /// <exception cref="DataUnavailableException">
    /// No mirror delivered a file matching the checksums. The one-line message names the file and, for each mirror in
    /// order, its URL and why it failed: "could not download NAME (mirror 1 URL: the server sent nothing for 60 s;
    /// mirror 2 URL: HTTP 404 Not Found)".
    /// </exception>
    public void Download(DatasetFile file, string destination, IProgress<DownloadProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        string full = Path.GetFullPath(destination);
        string folder = Path.GetDirectoryName(full)!;

        // Folders are made only once a server answers with the file, and removed again if nothing was kept, so a
        // mistyped --data leaves no empty folder tree behind.
        var created = new List<string>();
        var failures = new List<string>();
        foreach (var (url, index) in file.Urls.Select((u, i) => (u, i + 1)))
        {
            string mirror = $"mirror {index.ToString(CultureInfo.InvariantCulture)} {url}";
            string? temp = null;
            try
            {
                var mediaType = Fetch(url, file.FileName, progress, () =>
                {
                    CreateFolder(folder, file.FileName, created);
                    return temp = AtomicFile.BeginTemporary(full);
                });
                string? mismatch = Verify(temp!, file.Digests);
                if (mismatch is not null)
                {
                    // A web page in place of the file (a login wall, a "not found" page with status 200) says more than its checksum.
                    failures.Add(IsWebPage(mediaType, temp!) ? $"{mirror}: the server sent a web page instead of the file ({mismatch})" : $"{mirror}: {mismatch}");
                    continue;
                }

                File.Move(temp!, full, overwrite: true);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or UnauthorizedAccessException)
            {
                if (e is DataUnavailableException)
                {
                    RemoveEmpty(created);
                    throw;
                }

                failures.Add($"{mirror}: {Describe(e)}");
            }
            finally
            {
                if (temp is not null)
                {
                    AtomicFile.EndTemporary(temp);
                }
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

    /// <summary>
    /// Fetches <paramref name="url"/> into the temporary file <paramref name="createTemporary"/> makes once the server
    /// answers with the file; returns the response's media type (null when not given).
    /// </summary>
    private string? Fetch(Uri url, string name, IProgress<DownloadProgress>? progress, Func<string> createTemporary)
    {
        using var idle = new IdleWatch(IdleTimeout);
        using var response = idle.Run("no response", token =>
            _http.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, token));
        if (!response.IsSuccessStatusCode)
        {
            int status = (int)response.StatusCode;
            // The handler follows redirects itself; one handed back is a loop (too many hops) or a refused downgrade to http.
            string redirect = status is >= 300 and < 400 ? " after following redirects (a redirect loop, or a redirect the client refuses)" : "";
            throw new HttpRequestException($"HTTP {status} {response.ReasonPhrase}{redirect}");
        }

        long? total = response.Content.Headers.ContentLength;
        using var body = response.Content.ReadAsStream();
        string temp = createTemporary();
        using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[1 << 16];
        long received = 0;
        int read;
        try
        {
            // A cancelled read aborts the connection at once; closing the response instead would first try to drain it for seconds.
            while ((read = idle.Run("nothing", token => body.ReadAsync(buffer, token).AsTask().GetAwaiter().GetResult())) > 0)
            {
                output.Write(buffer, 0, read);
                received += read;
                progress?.Report(new DownloadProgress(name, received, total));
            }
        }
        catch (IOException e)
        {
            // How far it got tells a cut connection from a server that never sent the file.
            string of = total is { } t ? $" of {t.ToString(CultureInfo.InvariantCulture)}" : "";
            throw new IOException($"the download stopped after {received.ToString(CultureInfo.InvariantCulture)}{of} bytes: {Describe(e)}", e);
        }

        if (total is { } expected && received != expected)
        {
            throw new IOException($"the server sent {received.ToString(CultureInfo.InvariantCulture)} bytes but announced {expected.ToString(CultureInfo.InvariantCulture)}");
        }

        output.Flush(flushToDisk: true);
        return response.Content.Headers.ContentType?.MediaType;
    }

    /// <summary>
    /// Bounds each wait on a mirror (the response headers, then every read of the body) by the idle timeout with ONE
    /// cancellation source re-armed per wait: a new source and timer per 64 KiB read made a good download on a starved
    /// thread pool pay a timer per read, and a source is only replaced when its timer fired after the read completed.
    /// </summary>
    private sealed class IdleWatch(TimeSpan timeout) : IDisposable
    {
        private CancellationTokenSource _source = new();

        /// <summary>
        /// Runs <paramref name="operation"/> for at most the idle timeout, cancelled through its token: the client's own
        /// timeout covers the whole response, and a mirror that stalls (before the headers or mid-file) must not hang us
        /// for minutes.
        /// </summary>
        public T Run<T>(string what, Func<CancellationToken, T> operation)
        {
            if (!_source.TryReset())
            {
                // The timer fired after the last wait had already ended (a late timer on a busy machine): that wait was
                // not idle, so it must not cancel this one.
                _source.Dispose();
                _source = new CancellationTokenSource();
            }

            var token = _source.Token;
            _source.CancelAfter(timeout);
            try
            {
                return operation(token);
            }
            catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
            {
                throw new IOException($"the server sent {what} for {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s", e);
            }
        }

        public void Dispose() => _source.Dispose();
    }

    /// <summary>Whether the server called its answer a web page, or it starts like one (after blanks).</summary>
    private static bool IsWebPage(string? mediaType, string path)
    {
        if (mediaType is "text/html" or "application/xhtml+xml")
        {
            return true;
        }

        var head = new byte[64];
        int n;
        using (var file = File.OpenRead(path))
        {
            n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        string text = System.Text.Encoding.ASCII.GetString(head, 0, n).TrimStart().ToLowerInvariant();
        return text.StartsWith("<!doctype html", StringComparison.Ordinal) || text.StartsWith("<html", StringComparison.Ordinal);
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

    private static HttpClient CreateDefaultClient()
    {
        // A connect timeout of its own: on a network that silently drops packets the default waits minutes per mirror.
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("DeepScratch/0.1");
        return client;
    }
}
