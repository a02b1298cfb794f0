using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using DeepScratch.Data;

namespace DeepScratch.Hardening.Faults;

/// <summary>Options of the download-fault harness.</summary>
/// <param name="Seed">Seeds the files, the truncation points and the order.</param>
/// <param name="Rounds">How many times every fault is tried (each round: the fault alone, then before a good mirror).</param>
/// <param name="Seconds">Stops starting new rounds after this long (0: no limit).</param>
/// <param name="IdleTimeoutSeconds">The downloader's idle timeout for the stalling faults, which every stall costs.</param>
/// <param name="OtherIdleTimeoutSeconds">The idle timeout for every other fault: long, since it costs nothing there and a good
/// answer slowed by a loaded machine must not be taken for a stall.</param>
public sealed record DownloadFaultsOptions(int Seed = 1, int Rounds = 20, double Seconds = 0, double IdleTimeoutSeconds = 1, double OtherIdleTimeoutSeconds = 10)
{
    /// <summary>Whether <paramref name="fault"/> stalls, so that only the idle timeout ends it.</summary>
    public static bool Stalls(ServerFault fault) => fault is ServerFault.StallBeforeHeaders or ServerFault.StallAfterHeaders or ServerFault.StallMidBody;

    /// <summary>The idle timeout the downloader uses against <paramref name="fault"/>, in seconds.</summary>
    public double IdleTimeoutFor(ServerFault fault) => Stalls(fault) ? IdleTimeoutSeconds : Math.Max(IdleTimeoutSeconds, OtherIdleTimeoutSeconds);
}

/// <summary>The figures of one fault: how often it was tried and what came of it.</summary>
/// <param name="Fault">The server's fault.</param>
/// <param name="Attempts">Downloads tried against it (alone and before a good mirror).</param>
/// <param name="FallbacksSucceeded">Downloads where the next, good mirror delivered the file.</param>
/// <param name="Diagnosed">Downloads that failed (the fault alone) with one DataUnavailableException line naming mirror 1 and the expected reason.</param>
/// <param name="PartialFilesLeft">Temporary or partial files found beside the destination afterwards (must be 0).</param>
/// <param name="WrongFilesAccepted">Destinations holding anything but the good file or the old one afterwards (must be 0).</param>
/// <param name="Unexpected">Anything else: another exception type, a message without the reason, a failed fallback (must be 0).</param>
/// <param name="Seconds">Wall time of its downloads, all attempts together.</param>
public sealed record FaultFigures(ServerFault Fault, int Attempts, int FallbacksSucceeded, int Diagnosed, int PartialFilesLeft, int WrongFilesAccepted, int Unexpected, double Seconds);

/// <summary>The harness's report: one row per fault and the first few unexpected outcomes, spelled out.</summary>
public sealed record DownloadFaultsReport(IReadOnlyList<FaultFigures> Faults, IReadOnlyList<string> Problems, double Seconds)
{
    /// <summary>Whether every figure that must be 0 is 0 and every fallback succeeded.</summary>
    public bool Passed => Faults.All(f => f.PartialFilesLeft == 0 && f.WrongFilesAccepted == 0 && f.Unexpected == 0);
}

/// <summary>
/// Downloads through <see cref="FileDownloader"/> from a loopback <see cref="FaultServer"/> that cuts, corrupts, stalls,
/// redirects and resets at seeded random points, and checks after each download that the destination holds either the
/// good file or what it held before (absent or an old complete file, alternately), that no temporary file is left, that
/// a failure is one <see cref="DataUnavailableException"/> line naming each mirror and its reason, and that a good
/// mirror after the faulty one is used.
/// </summary>
public static class DownloadFaults
{
    private const string FileName = "t10k-labels-idx1-ubyte.gz";

    /// <summary>What the failure message must say for each fault (the fault alone on mirror 1).</summary>
    public static string ExpectedReason(ServerFault fault, double idleSeconds) => fault switch
    {
        ServerFault.TruncatedBody or ServerFault.TruncatedChunked => "the download stopped after",
        ServerFault.WrongChecksum => "checksum mismatch",
        ServerFault.HtmlPage => "web page instead of the file",
        ServerFault.StallBeforeHeaders => $"the server sent no response for {idleSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s",
        // On a loaded machine the headers of a stall after them may themselves come late: either wait is the idle timeout.
        ServerFault.StallAfterHeaders or ServerFault.StallMidBody => $" for {idleSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s",
        ServerFault.RedirectLoop => "redirect loop",
        ServerFault.NotFound => "HTTP 404",
        ServerFault.ServerError => "HTTP 500",
        // Before, in or after the headers, the socket's own words name the reset.
        ServerFault.Reset => "Connection reset by peer",
        _ => "",
    };

    /// <summary>Runs the harness; <paramref name="log"/> gets a line per problem as it happens.</summary>
    public static DownloadFaultsReport Run(DownloadFaultsOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var random = new Random(options.Seed);
        var faults = Enum.GetValues<ServerFault>().Where(f => f != ServerFault.Good).ToArray();
        var rows = faults.ToDictionary(f => f, f => new int[6]);
        var seconds = faults.ToDictionary(f => f, f => 0.0);
        var problems = new List<string>();
        var scratch = new ScratchFolder("faults");
        string root = scratch.Path;
        using var server = new FaultServer();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        var stallDownloader = new FileDownloader(http, TimeSpan.FromSeconds(options.IdleTimeoutFor(ServerFault.StallMidBody)));
        var otherDownloader = new FileDownloader(http, TimeSpan.FromSeconds(options.IdleTimeoutFor(ServerFault.NotFound)));
        void Problem(string text)
        {
            log?.Invoke(text);
            if (problems.Count < 20)
            {
                problems.Add(text);
            }
        }

        try
        {
            int id = 0;
            for (int round = 0; round < options.Rounds; round++)
            {
                if (options.Seconds > 0 && clock.Elapsed.TotalSeconds >= options.Seconds)
                {
                    break;
                }

                foreach (var fault in faults.OrderBy(_ => random.Next()))
                {
                    // A fresh gzip'd file each time (its size and content seeded), so cuts land everywhere in it.
                    byte[] content = new byte[random.Next(1, 300_000)];
                    random.NextBytes(content.AsSpan(0, content.Length / 2)); // half noise, half zeros: gzip has work to do
                    byte[] good = Gzip.Compress(content);
                    var digests = new[]
                    {
                        FileDigest.Md5(Convert.ToHexStringLower(MD5.HashData(good))),
                        FileDigest.Sha256OfContent(Convert.ToHexStringLower(SHA256.HashData(content))),
                    };
                    long cut = random.NextInt64(0, good.Length + 200);
                    if (fault == ServerFault.WrongChecksum)
                    {
                        // Bytes 4-9 of a gzip header (time, flags, OS) are not data: changed there it is the same file.
                        cut = Math.Max(cut, 10);
                    }
                    foreach (bool withGoodMirror in new[] { false, true })
                    {
                        id++;
                        string goodPath = $"/{id}/good/{FileName}";
                        server.Add(goodPath, ServerFault.Good, good);
                        var faulty = server.Add($"/{id}/fault/{FileName}", fault, good, cut, redirectTo: goodPath);
                        var urls = withGoodMirror ? new[] { faulty, new Uri(server.BaseUri, goodPath) } : new[] { faulty };
                        bool expectSuccess = withGoodMirror || fault == ServerFault.RedirectToGood;
                        string folder = Path.Combine(root, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        Directory.CreateDirectory(folder);
                        string destination = Path.Combine(folder, FileName);
                        byte[]? old = id % 2 == 0 ? Gzip.Compress([1, 2, 3, (byte)id]) : null;
                        if (old is not null)
                        {
                            File.WriteAllBytes(destination, old);
                        }

                        var row = rows[fault];
                        row[0]++;
                        string what = $"{fault} cut {cut} of {good.Length}{(withGoodMirror ? " then a good mirror" : " alone")}";
                        Exception? error = null;
                        var downloadClock = Stopwatch.StartNew();
                        try
                        {
                            (DownloadFaultsOptions.Stalls(fault) ? stallDownloader : otherDownloader).Download(new DatasetFile("mnist", FileName, urls, digests), destination);
                        }
                        catch (Exception e)
                        {
                            error = e;
                        }

                        seconds[fault] += downloadClock.Elapsed.TotalSeconds;

                        byte[]? now = File.Exists(destination) ? File.ReadAllBytes(destination) : null;
                        bool isGood = now is not null && now.AsSpan().SequenceEqual(good);
                        bool isOld = old is null ? now is null : now is not null && now.AsSpan().SequenceEqual(old);
                        var leftovers = Directory.GetFiles(folder).Where(p => p != destination).ToArray();
                        if (leftovers.Length > 0)
                        {
                            row[3] += leftovers.Length;
                            Problem($"{what}: left {string.Join(", ", leftovers.Select(Path.GetFileName))}");
                        }

                        if (!isGood && !isOld)
                        {
                            row[4]++;
                            Problem($"{what}: the destination holds {(now is null ? "nothing" : $"{now.Length} wrong bytes")}");
                        }

                        if (expectSuccess)
                        {
                            if (error is null && isGood)
                            {
                                row[1] += withGoodMirror ? 1 : 0;
                            }
                            else
                            {
                                row[5]++;
                                Problem($"{what}: expected the good file, got {error?.GetType().Name}: {error?.Message}");
                            }
                        }
                        else
                        {
                            string reason = ExpectedReason(fault, options.IdleTimeoutFor(fault));
                            string message = error?.Message ?? "";
                            if (error is DataUnavailableException && !message.Contains('\n', StringComparison.Ordinal)
                                && message.Contains($"mirror 1 {faulty}: ", StringComparison.Ordinal)
                                && message.Contains(reason, StringComparison.Ordinal) && isOld)
                            {
                                row[2]++;
                            }
                            else
                            {
                                row[5]++;
                                Problem($"{what}: expected one DataUnavailableException line with 'mirror 1 {faulty}: {reason}', got "
                                    + (error is null ? "success" : $"{error.GetType().Name}: {message}"));
                            }
                        }

                        Directory.Delete(folder, recursive: true);
                    }
                }
            }
        }
        finally
        {
            scratch.Dispose();
        }

        return new DownloadFaultsReport(
            faults.Select(f => new FaultFigures(f, rows[f][0], rows[f][1], rows[f][2], rows[f][3], rows[f][4], rows[f][5], seconds[f])).ToList(),
            problems,
            clock.Elapsed.TotalSeconds);
    }
}
