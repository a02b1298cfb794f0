using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepScratch.Web;

namespace DeepScratch.Hardening.Load;

/// <summary>The settings of one load run (<see cref="LoadHarness.Run"/>).</summary>
public sealed record LoadOptions
{
    /// <summary>The built CLI, DeepScratch.Cli.dll, run as <c>dotnet DLL serve</c> and <c>dotnet DLL predict</c>.</summary>
    public required string CliPath { get; init; }

    /// <summary>A data folder holding weights/ (the book's three networks) and mnist/ (the test set).</summary>
    public required string DataDir { get; init; }

    /// <summary>The Fashion-MNIST folder (t10k-* files), or null: then no Fashion-MNIST network is served.</summary>
    public string? FashionDir { get; init; }

    /// <summary>A Fashion-MNIST model (safetensors) to serve; null with <see cref="FashionDir"/>: one is trained by
    /// <c>deepscratch train --dataset fashion-mnist</c> (300 iterations) first.</summary>
    public string? FashionModel { get; init; }

    /// <summary>Requests of the measured run (the warm-up comes on top).</summary>
    public int Requests { get; init; } = 10_000;

    /// <summary>Concurrent clients.</summary>
    public int Clients { get; init; } = 16;

    /// <summary>Wall-time bound of the measured run in seconds: no request starts after it.</summary>
    public double Seconds { get; init; } = 900;

    /// <summary>Seeds the choice of images and of every request.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Test images per network whose CLI answers are computed before the load (each: one JSON and one PNG input).</summary>
    public int ImagesPerModel { get; init; } = 30;

    /// <summary>Requests sent before the measured run (every kind, not counted): they bring the server's heap to its working size.</summary>
    public int WarmupRequests { get; init; } = 1000;

    /// <summary>How far the server's resident memory may end above the warm-up's peak, and the last half's peak above the
    /// first half's, in MiB. The garbage collector frees the large buffers of image decoding and big bodies in bursts, so
    /// resident memory is a saw-tooth of about 200 MiB between its floor and its peaks under the long run's mix.</summary>
    public double RssBoundMiB { get; init; } = 96;

    /// <summary>How much the saw-tooth's floor (the least value in each sixteenth of the run) may rise from the run's first
    /// half to its last, in MiB (the means of the halves' floors): a leak raises the floor. The floors scatter by about
    /// 60 MiB; long runs on a busy 2-core machine gave +2 to +53 MiB, a leak of 256 KiB per JSON request +312.</summary>
    public double TrendBoundMiB { get; init; } = 96;

    /// <summary>Most body bytes a client may manage to send before the 413 of a 100 MB body beyond what the server must
    /// read to know it is too large (nothing when announced by Content-Length, the type's limit when chunked).</summary>
    public long EarlyRefusalSlack { get; init; } = 1 << 20;

    /// <summary>Where progress lines go (null: nowhere).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>The expected answers, when already computed for the same models (a test reuses them); else computed.</summary>
    public IReadOnlyList<OracleCase>? Oracle { get; init; }

    /// <summary>Only valid predictions (JSON and PNG), none of the malformed kinds: a quick run of the comparisons alone.</summary>
    public bool ValidOnly { get; init; }

    /// <summary>Changes the expected answers before the run: only for showing that a wrong expectation turns the run red.</summary>
    public Func<OracleCase, OracleCase>? TamperOracle { get; init; }
}

/// <summary>The figures of one request kind.</summary>
/// <param name="Kind">The kind's name (e.g. json-flat, png, oversized-image).</param>
/// <param name="Count">Requests sent.</param>
/// <param name="P50Ms">Median latency, request sent to answer read, in milliseconds.</param>
/// <param name="P99Ms">99th percentile latency in milliseconds.</param>
/// <param name="Statuses">Answers by status code (0: no answer, e.g. the client hung up on purpose).</param>
public sealed record KindFigures(string Kind, int Count, double P50Ms, double P99Ms, IReadOnlyDictionary<int, int> Statuses);

/// <summary>One 100 MB body: how it was sent and what came back.</summary>
/// <param name="Body">What was sent, e.g. "image/png, Content-Length 100000000".</param>
/// <param name="Answer">The status and the body bytes sent when it came.</param>
/// <param name="MustRead">Bytes the server has to read to know the body is too large (0 when announced).</param>
public sealed record EarlyRefusal(string Body, RawResult Answer, long MustRead);

/// <summary>The outcome of a load run: its figures and the failed checks (none: it passed).</summary>
public sealed record LoadReport
{
    /// <summary>The networks served, by name.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Requests of the measured run.</summary>
    public required int Requests { get; init; }

    /// <summary>Concurrent clients.</summary>
    public required int Clients { get; init; }

    /// <summary>Wall time of the measured run in seconds.</summary>
    public required double Seconds { get; init; }

    /// <summary>Requests per second.</summary>
    public double Throughput => Requests / Seconds;

    /// <summary>Figures per request kind.</summary>
    public required IReadOnlyList<KindFigures> Kinds { get; init; }

    /// <summary>Answers by status code over the whole run.</summary>
    public required IReadOnlyDictionary<int, int> Statuses { get; init; }

    /// <summary>Answers with a 5xx status.</summary>
    public required int ServerErrors { get; init; }

    /// <summary>Valid predictions whose answer was not 200 with the CLI's class and probabilities.</summary>
    public required int WrongPredictions { get; init; }

    /// <summary>Valid predictions compared with the CLI.</summary>
    public required int CheckedPredictions { get; init; }

    /// <summary>Malformed requests answered otherwise than documented.</summary>
    public required int UnexpectedAnswers { get; init; }

    /// <summary>The 100 MB bodies, sent slowly (16 KiB every 10 ms; chunked 64 KiB): each one's status and the body bytes the client had sent when it came.</summary>
    public required IReadOnlyList<EarlyRefusal> EarlyRefusals { get; init; }

    /// <summary>The memory samples of the measured run, every 200 ms: seconds since it began, VmRSS in MiB.</summary>
    public required IReadOnlyList<(double Seconds, double MiB)> RssSeries { get; init; }

    /// <summary>The server's resident memory (VmRSS) in MiB: when the measured run began, the warm-up's peak, the run's
    /// peak and its value when the run ended.</summary>
    public required (double Start, double WarmupPeak, double Max, double End) RssMiB { get; init; }

    /// <summary>The least and the largest resident memory in each sixteenth of the measured run up to its last request's start, in MiB.</summary>
    public required IReadOnlyList<(double Floor, double Peak)> RssWindows { get; init; }

    /// <summary>The mean of the last half's window floors minus the first half's, in MiB (a leak makes it grow).</summary>
    public required double FloorGrowthMiB { get; init; }

    /// <summary>The last half's peak minus the first half's, in MiB.</summary>
    public required double PeakGrowthMiB { get; init; }

    /// <summary>The server's exit code after SIGTERM and its stderr.</summary>
    public required (int Exit, string Stderr) Shutdown { get; init; }

    /// <summary>Every failed check, one line each (the first few examples of each).</summary>
    public required IReadOnlyList<string> Failures { get; init; }

    /// <summary>True when every check passed.</summary>
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// The web server under load (issue 11 item 6): starts <c>deepscratch serve</c> as a child process with every network,
/// computes the CLI's own answers for a set of test images, then sends a seeded mix of valid predictions and malformed
/// requests from concurrent clients, and checks: no 5xx, every valid prediction equals the CLI's answer, every
/// malformed request gets its documented 4xx, a huge body is refused with 413 before it is read, resident memory stays
/// flat, and the server stops cleanly.
/// </summary>
public static partial class LoadHarness
{
    private const string JsonType = "application/json";

    [GeneratedRegex(@"^Listening on http://127\.0\.0\.1:(\d+)/ — Ctrl-C stops$")]
    private static partial Regex ListeningLine();

    /// <summary>Runs the load; see <see cref="LoadHarness"/>.</summary>
    /// <exception cref="HarnessSetupException">The server or a CLI oracle run could not be started or failed.</exception>
    public static async Task<LoadReport> Run(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var work = new ScratchFolder("load");
        return await RunIn(options, work.Path).ConfigureAwait(false);
    }

    /// <summary>The served networks: the book's three from the data folder, and a Fashion-MNIST one when there is a Fashion-MNIST folder.</summary>
    public static IReadOnlyList<LoadModel> Models(LoadOptions options, string work)
    {
        ArgumentNullException.ThrowIfNull(options);
        var models = new List<LoadModel>();
        foreach (var file in DeepScratch.Data.Catalog.BookWeightsByAccuracy)
        {
            string path = Path.Combine(options.DataDir, "weights", file.FileName);
            models.Add(new LoadModel(Path.GetFileNameWithoutExtension(path), path, DeepScratch.Data.DatasetKind.Mnist));
        }

        if (options.FashionDir is not null)
        {
            string path = options.FashionModel ?? TrainFashion(options, work);
            models.Add(new LoadModel(Path.GetFileNameWithoutExtension(path), path, DeepScratch.Data.DatasetKind.FashionMnist));
        }

        return models;
    }

    /// <summary>A data folder for the CLI: the given one's mnist/ and weights/, and fashion-mnist/ when given (symbolic links, no copies).</summary>
    public static string DataFolder(LoadOptions options, string work)
    {
        ArgumentNullException.ThrowIfNull(options);
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        foreach (string sub in (string[])["mnist", "weights"])
        {
            string link = Path.Combine(data, sub);
            if (!Path.Exists(link))
            {
                Directory.CreateSymbolicLink(link, Path.GetFullPath(Path.Combine(options.DataDir, sub)));
            }
        }

        string fashion = Path.Combine(data, "fashion-mnist");
        if (options.FashionDir is not null && !Path.Exists(fashion))
        {
            Directory.CreateSymbolicLink(fashion, Path.GetFullPath(options.FashionDir));
        }

        return data;
    }

    private static string TrainFashion(LoadOptions options, string work)
    {
        string data = DataFolder(options, work);
        string path = Path.Combine(work, "fashion_mlp.safetensors");
        options.Log?.WriteLine("training a Fashion-MNIST network (deepscratch train --dataset fashion-mnist --iterations 300) ...");
        var (exit, _, stderr) = Cli.Run(options.CliPath, work, TimeSpan.FromSeconds(300),
            "train", "--dataset", "fashion-mnist", "--iterations", "300", "--eval-sample", "100", "--lr", "0.1", "--out", path, "--data", data);
        return exit == 0 ? path : throw new HarnessSetupException($"deepscratch train --dataset fashion-mnist exited {exit}: {stderr.Trim()}");
    }

    private static async Task<LoadReport> RunIn(LoadOptions options, string work)
    {
        var log = options.Log ?? TextWriter.Null;
        string data = DataFolder(options, work);
        var models = Models(options, work);
        var oracle = options.Oracle;
        if (oracle is null)
        {
            log.WriteLine($"computing the CLI's answers: deepscratch predict INDEX and predict --image, {options.ImagesPerModel} images x {models.Count} networks ...");
            oracle = LoadOracle.Compute(options.CliPath, data, models, options.ImagesPerModel, options.Seed, work);
        }

        if (options.TamperOracle is { } tamper)
        {
            oracle = [.. oracle.Select(tamper)];
        }

        var serveArgs = new List<string> { "serve", "--port", "0", "--data", data };
        foreach (var model in models)
        {
            serveArgs.AddRange(["--weights", model.Path]);
        }

        var start = Cli.StartInfo(options.CliPath, work, serveArgs);
        using var server = Process.Start(start) ?? throw new HarnessSetupException("dotnet did not start.");
        using var tracked = Cleanup.Scope(server);
        try
        {
            var stderrTask = server.StandardError.ReadToEndAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            string? line = await server.StandardOutput.ReadLineAsync(wait.Token).ConfigureAwait(false);
            if (line is null || ListeningLine().Match(line) is not { Success: true } listening)
            {
                throw new HarnessSetupException($"deepscratch serve printed no listening line: '{line}'; stderr: {await stderrTask.ConfigureAwait(false)}");
            }

            int port = int.Parse(listening.Groups[1].Value, CultureInfo.InvariantCulture);
            string networks = await server.StandardOutput.ReadLineAsync(wait.Token).ConfigureAwait(false) ?? "";
            _ = server.StandardOutput.ReadToEndAsync();
            var failures = new List<string>();
            string expected = $"Networks: {string.Join(", ", models.Select(m => m.Name))} (default {models[0].Name})";
            if (networks != expected)
            {
                failures.Add($"serve offers '{networks}', expected '{expected}'.");
            }

            log.WriteLine($"serve: pid {server.Id}, port {port}; {networks}");
            var run = new Load(options, port, oracle);
            var memory = new MemorySampler(server.Id);
            memory.Start();
            await run.Clients(options.WarmupRequests, double.MaxValue, record: false).ConfigureAwait(false);
            var warmup = memory.Mark();
            var clock = Stopwatch.StartNew();
            log.WriteLine($"warm-up done ({options.WarmupRequests} requests); RSS {warmup.Now:0.0} MiB (peak {warmup.Peak:0.0}); {options.Requests} requests from {options.Clients} clients ...");
            int sent = await run.Clients(options.Requests, options.Seconds, record: true).ConfigureAwait(false);
            double seconds = clock.Elapsed.TotalSeconds;
            await memory.StopAsync().ConfigureAwait(false);
            if (sent < options.Requests)
            {
                failures.Add($"only {sent} of {options.Requests} requests were sent within {options.Seconds} s.");
            }

            // The early refusal: 100 MB bodies sent slowly; the 413 must come after a small part of each. Announced by
            // Content-Length, nothing needs reading; chunked, the server must read past its limit to know.
            // The four at once; pieces of 16 KiB every 10 ms when announced (the figure's resolution), 64 KiB when chunked.
            const long Huge = 100_000_000;
            var probes = ((string Type, bool Announced, long MustRead)[])[("image/png", true, 0), (JsonType, true, 0), ("image/png", false, DigitServer.MaxImageBytes), (JsonType, false, DigitServer.MaxJsonBytes)];
            var answers = await Task.WhenAll(probes.Select(p => RawHttp.SendAsync(port, Head(port, "POST", "/api/predict", p.Type, p.Announced ? Huge : null), "0.5,"u8.ToArray(),
                Huge, piece: p.Announced ? 16 << 10 : 64 << 10, gap: TimeSpan.FromMilliseconds(10), chunked: !p.Announced, limit: TimeSpan.FromSeconds(120)))).ConfigureAwait(false);
            var early = probes.Zip(answers, (p, a) => new EarlyRefusal($"{p.Type}, {(p.Announced ? $"Content-Length {Huge}" : "chunked")}", a, p.MustRead)).ToList();
            foreach (var refusal in early)
            {
                if (refusal.Answer.Status != 413 || refusal.Answer.BodyBytesSent > refusal.MustRead + options.EarlyRefusalSlack)
                {
                    failures.Add($"a 100 MB body ({refusal.Body}) got status {refusal.Answer.Status} after the client sent {refusal.Answer.BodyBytesSent} bytes (expected 413 within {refusal.MustRead + options.EarlyRefusalSlack}).");
                }
            }

            // The server still answers right after all that.
            var after = await run.One(new Random(options.Seed), Kind.JsonFlat).ConfigureAwait(false);
            if (after.Failure is not null)
            {
                failures.Add($"after the load: {after.Failure}");
            }

            failures.AddRange(run.Failures());
            var rss = memory.Run;
            // The windows span the run while every client was busy: after the last request started only a few slow
            // senders drain, and the server allocates almost nothing (a flat tail that would weigh on the last half).
            var active = rss.Where(x => x.Seconds <= run.LastIssuedSeconds).ToList();
            active = active.Count >= 2 ? active : rss;
            double end = rss[^1].MiB, max = rss.Max(x => x.MiB);
            const int Windows = 16;
            var windows = Enumerable.Range(0, Windows).Select(w => active.Where(x => (int)Math.Min(Windows - 1, x.Seconds * Windows / active[^1].Seconds) == w).ToList())
                .Where(w => w.Count > 0).Select(w => (Floor: w.Min(x => x.MiB), Peak: w.Max(x => x.MiB))).ToList();
            var (firstHalf, lastHalf) = (windows.Take(windows.Count / 2).ToList(), windows.Skip(windows.Count / 2).ToList());
            double floorGrowth = firstHalf.Count == 0 ? 0 : lastHalf.Average(w => w.Floor) - firstHalf.Average(w => w.Floor);
            double peakGrowth = firstHalf.Count == 0 ? 0 : lastHalf.Max(w => w.Peak) - firstHalf.Max(w => w.Peak);
            if (end > warmup.Peak + options.RssBoundMiB)
            {
                failures.Add($"resident memory ended at {end:0.0} MiB, more than {options.RssBoundMiB} MiB above the warm-up's peak {warmup.Peak:0.0} MiB.");
            }

            if (peakGrowth > options.RssBoundMiB)
            {
                failures.Add($"resident memory peaked {peakGrowth:0.0} MiB higher in the run's last half than in its first (bound {options.RssBoundMiB} MiB).");
            }

            if (floorGrowth > options.TrendBoundMiB)
            {
                failures.Add($"the floor of resident memory rose {floorGrowth:0.0} MiB from the run's first half to its last (bound {options.TrendBoundMiB} MiB).");
            }

            var (exit, stderr) = await Stop(server, stderrTask).ConfigureAwait(false);
            if (exit != 0 || stderr.Length > 0)
            {
                failures.Add($"serve stopped by SIGTERM exited {exit} with stderr '{stderr.Trim()}' (expected 0 and nothing).");
            }

            return new LoadReport
            {
                Models = [.. models.Select(m => m.Name)],
                Requests = sent,
                Clients = options.Clients,
                Seconds = seconds,
                Kinds = run.Figures(),
                Statuses = run.StatusCounts(),
                ServerErrors = run.ServerErrors,
                WrongPredictions = run.WrongPredictions,
                CheckedPredictions = run.CheckedPredictions,
                UnexpectedAnswers = run.UnexpectedAnswers,
                EarlyRefusals = early,
                RssSeries = rss,
                RssMiB = (warmup.Now, warmup.Peak, max, end),
                RssWindows = windows,
                FloorGrowthMiB = floorGrowth,
                PeakGrowthMiB = peakGrowth,
                Shutdown = (exit, stderr),
                Failures = failures,
            };
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<(int Exit, string Stderr)> Stop(Process server, Task<string> stderr)
    {
        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await server.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A server that ignores SIGTERM fails the shutdown check (exit -1), it is not a setup failure.
            server.Kill(entireProcessTree: true);
            return (-1, "still running 60 s after SIGTERM (killed)");
        }

        return (server.ExitCode, await stderr.ConfigureAwait(false));
    }

    /// <summary>An HTTP/1.1 request head for the raw-socket kinds (no Content-Length when <paramref name="length"/> is null: chunked).</summary>
    private static string Head(int port, string method, string path, string? type, long? length) =>
        $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + (type is null ? "" : $"Content-Type: {type}\r\n")
        + (length is long n ? $"Content-Length: {n}\r\n" : "Transfer-Encoding: chunked\r\n")
        + "Connection: close\r\n\r\n";

    /// <summary>The request kinds, with their share of the mix (per mille) and the answers documented for them.</summary>
    private enum Kind
    {
        JsonFlat, JsonRows, Png,
        WrongSize, NotFinite, GarbageJson, TruncatedJson, WrongType, GarbageImage, UnknownModel, Blank,
        TooManyPixels, OversizedJson, OversizedChunked, OversizedImage, SlowSender, Stalled, Disconnect,
    }

    private static readonly (Kind Kind, string Name, int Share, int[] Expected)[] Mix =
    [
        (Kind.JsonFlat, "json-flat", 260, [200]),
        (Kind.JsonRows, "json-28x28", 120, [200]),
        (Kind.Png, "png", 200, [200]),
        (Kind.WrongSize, "wrong-size", 50, [400]),
        (Kind.NotFinite, "nan-inf-huge", 50, [400]),
        (Kind.GarbageJson, "garbage-json", 30, [400]),
        (Kind.TruncatedJson, "truncated-json", 40, [400]),
        (Kind.WrongType, "wrong-type", 40, [415]),
        (Kind.GarbageImage, "garbage-image", 30, [400]),
        (Kind.UnknownModel, "unknown-model", 20, [404]),
        (Kind.Blank, "blank", 20, [422]),
        (Kind.TooManyPixels, "over-4mp", 25, [413]),
        (Kind.OversizedJson, "over-1mib-json", 25, [413]),
        (Kind.OversizedChunked, "over-limit-chunked", 15, [413]),
        (Kind.OversizedImage, "over-8mib-image", 15, [413]),
        (Kind.SlowSender, "slow-sender", 6, [400]),
        (Kind.Stalled, "stalled-sender", 3, [408]),
        (Kind.Disconnect, "disconnect", 15, [0]),
    ];

    /// <summary>One request's outcome.</summary>
    private readonly record struct Outcome(int Status, string? Failure);

    /// <summary>The state of one run: the clients, their counts and the failures they found.</summary>
    private sealed class Load(LoadOptions options, int port, IReadOnlyList<OracleCase> oracle)
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(60),
        };

        private readonly ConcurrentDictionary<Kind, ConcurrentBag<(double Ms, int Status)>> _byKind = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private int _serverErrors, _wrong, _checked, _unexpected;

        public int ServerErrors => _serverErrors;

        public int WrongPredictions => _wrong;

        public int CheckedPredictions => _checked;

        public int UnexpectedAnswers => _unexpected;

        /// <summary>Seconds from the start of the last <see cref="Clients"/> run to its last request's start: after it,
        /// only the slowest requests are still draining.</summary>
        public double LastIssuedSeconds { get; private set; }

        /// <summary>Runs <paramref name="count"/> requests from the clients (no new one after <paramref name="seconds"/>); returns how many were sent.</summary>
        public async Task<int> Clients(int count, double seconds, bool record)
        {
            int issued = 0;
            var deadline = Stopwatch.StartNew();
            var mix = options.ValidOnly ? Mix[..3] : Mix;
            var total = mix.Sum(m => m.Share);
            var clients = Enumerable.Range(0, options.Clients).Select(c => Task.Run(async () =>
            {
                // Seeded per client (HashCode.Combine would differ between processes): each client sends the same sequence again.
                var random = new Random((options.Seed * 1000) + (c * 2) + (record ? 1 : 0));
                int number;
                while (deadline.Elapsed.TotalSeconds < seconds && (number = Interlocked.Increment(ref issued)) <= count)
                {
                    // The first requests go through every kind once, so even a short run covers the whole mix.
                    if (number == count)
                    {
                        LastIssuedSeconds = deadline.Elapsed.TotalSeconds;
                    }

                    int pick = random.Next(total);
                    var kind = number <= mix.Length ? mix[number - 1].Kind : mix.First(m => (pick -= m.Share) < 0).Kind;
                    var clock = Stopwatch.StartNew();
                    var outcome = await One(random, kind).ConfigureAwait(false);
                    if (record)
                    {
                        _byKind.GetOrAdd(kind, _ => []).Add((clock.Elapsed.TotalMilliseconds, outcome.Status));
                        if (outcome.Status >= 500)
                        {
                            Interlocked.Increment(ref _serverErrors);
                        }

                        if (outcome.Failure is null && kind is Kind.JsonFlat or Kind.JsonRows or Kind.Png)
                        {
                            Interlocked.Increment(ref _checked);
                        }

                        if (outcome.Failure is not null)
                        {
                            Interlocked.Increment(ref kind is Kind.JsonFlat or Kind.JsonRows or Kind.Png ? ref _wrong : ref _unexpected);
                            if (_failures.Count < 40)
                            {
                                _failures.Enqueue($"{Mix.First(m => m.Kind == kind).Name}: {outcome.Failure}");
                            }
                        }
                    }
                }
            })).ToList();
            await Task.WhenAll(clients).ConfigureAwait(false);
            if (issued <= count)
            {
                LastIssuedSeconds = deadline.Elapsed.TotalSeconds;
            }

            return Math.Min(issued, count);
        }

        public IEnumerable<string> Failures()
        {
            if (_serverErrors > 0)
            {
                yield return $"{_serverErrors} answers with a 5xx status.";
            }

            if (_wrong > 0)
            {
                yield return $"{_wrong} of {_checked + _wrong} valid predictions failed or differed from the CLI's answer.";
            }

            if (_unexpected > 0)
            {
                yield return $"{_unexpected} malformed requests got another answer than documented.";
            }

            foreach (string f in _failures)
            {
                yield return "  " + f;
            }
        }

        public IReadOnlyList<KindFigures> Figures() =>
        [
            .. Mix.Where(m => _byKind.ContainsKey(m.Kind)).Select(m =>
            {
                var samples = _byKind[m.Kind].ToArray();
                var ms = samples.Select(s => s.Ms).Order().ToArray();
                return new KindFigures(m.Name, ms.Length, Percentile(ms, 0.50), Percentile(ms, 0.99),
                    samples.GroupBy(s => s.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()));
            }),
        ];

        public IReadOnlyDictionary<int, int> StatusCounts() =>
            _byKind.Values.SelectMany(b => b).GroupBy(s => s.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());

        private static double Percentile(double[] sorted, double q) =>
            sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

        /// <summary>Sends one request of <paramref name="kind"/> and checks its answer.</summary>
        public async Task<Outcome> One(Random random, Kind kind)
        {
            var expected = Mix.First(m => m.Kind == kind).Expected;
            var c = oracle[random.Next(oracle.Count)];
            try
            {
                switch (kind)
                {
                    case Kind.JsonFlat:
                    case Kind.JsonRows:
                        {
                            var (status, body) = await Post(JsonType, Encoding.UTF8.GetBytes(JsonBody(c.Pixels, c.Model.Name, rows: kind == Kind.JsonRows)), null).ConfigureAwait(false);
                            return Compare(status, body, c.Model.Name, c.Json, $"{c.Model.Name} test image {c.Index} as JSON");
                        }

                    case Kind.Png:
                        {
                            var (status, body) = await Post("image/png", c.Png, c.Model.Name).ConfigureAwait(false);
                            return Compare(status, body, c.Model.Name, c.Image, $"{c.Model.Name} MNIST digit {c.Index} as PNG");
                        }

                    case Kind.WrongSize:
                        return await Expect(expected, JsonType, Encoding.UTF8.GetBytes(WrongSize(random, c)), null).ConfigureAwait(false);

                    case Kind.NotFinite:
                        {
                            string[] bad = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1e30", "-0.5", "1.0000001", "123456789012345678901234567890"];
                            var text = c.Pixels.Select(Number).ToArray();
                            text[random.Next(text.Length)] = bad[random.Next(bad.Length)];
                            return await Expect(expected, JsonType, Encoding.UTF8.GetBytes($"{{\"pixels\":[{string.Join(',', text)}],\"model\":\"{c.Model.Name}\"}}"), null).ConfigureAwait(false);
                        }

                    case Kind.GarbageJson:
                        {
                            var garbage = new byte[random.Next(1, 4096)];
                            random.NextBytes(garbage);
                            return await Expect(expected, JsonType, garbage, null).ConfigureAwait(false);
                        }

                    case Kind.TruncatedJson:
                        {
                            var full = Encoding.UTF8.GetBytes(JsonBody(c.Pixels, c.Model.Name, rows: random.Next(2) == 0));
                            return await Expect(expected, JsonType, full[..random.Next(1, full.Length - 1)], null).ConfigureAwait(false);
                        }

                    case Kind.WrongType:
                        {
                            var json = Encoding.UTF8.GetBytes(JsonBody(c.Pixels, c.Model.Name, rows: false));
                            return random.Next(5) switch
                            {
                                0 => await Expect(expected, "text/plain", json, null).ConfigureAwait(false),
                                1 => await Expect(expected, null, json, null).ConfigureAwait(false),
                                2 => await Expect(expected, "application/json; charset=utf-16", json, null).ConfigureAwait(false),
                                3 => await Expect(expected, "application/x-www-form-urlencoded", json, null).ConfigureAwait(false),
                                _ => await Expect(expected, "image/jpeg", c.Png, c.Model.Name).ConfigureAwait(false),
                            };
                        }

                    case Kind.GarbageImage:
                        {
                            // A prefix that is no image format's magic nor a valid TGA header (colour map type 'A').
                            var garbage = new byte[random.Next(16, 65536)];
                            random.NextBytes(garbage);
                            "GARBAGE!"u8.CopyTo(garbage);
                            return await Expect(expected, random.Next(2) == 0 ? "image/png" : "image/jpeg", garbage, c.Model.Name).ConfigureAwait(false);
                        }

                    case Kind.UnknownModel:
                        return random.Next(2) == 0
                            ? await Expect(expected, JsonType, Encoding.UTF8.GetBytes(JsonBody(c.Pixels, "no-such-network", rows: false)), null).ConfigureAwait(false)
                            : await Expect(expected, "image/png", c.Png, "no-such-network").ConfigureAwait(false);

                    case Kind.Blank:
                        return random.Next(2) == 0
                            ? await Expect(expected, JsonType, Encoding.UTF8.GetBytes(JsonBody(new float[784], c.Model.Name, rows: false)), null).ConfigureAwait(false)
                            : await Expect(expected, "image/png", Png.Gray(new byte[784], 28, 28, scale: 10), c.Model.Name).ConfigureAwait(false);

                    case Kind.TooManyPixels:
                        return await Expect(expected, "image/png", Png.DeclaringSize(2000 + random.Next(2000), 2001 + random.Next(2000)), c.Model.Name).ConfigureAwait(false);

                    case Kind.OversizedJson:
                        {
                            long length = DigitServer.MaxJsonBytes + 1 + random.Next(1 << 20);
                            return Raw(expected, await RawHttp.SendAsync(port, Head(port, "POST", "/api/predict", JsonType, length), "0.5,"u8.ToArray(), length, 64 << 10, TimeSpan.FromMilliseconds(2)).ConfigureAwait(false));
                        }

                    case Kind.OversizedChunked:
                        {
                            // No Content-Length: the server finds the size while reading and stops after its limit (JSON's or images').
                            bool image = random.Next(3) == 0;
                            long length = (image ? DigitServer.MaxImageBytes : DigitServer.MaxJsonBytes) + 1 + random.Next(1 << 20);
                            var head = Head(port, "POST", image ? $"/api/predict?model={c.Model.Name}" : "/api/predict", image ? "image/png" : JsonType, null);
                            return Raw(expected, await RawHttp.SendAsync(port, head, image ? c.Png : "0.5,"u8.ToArray(), length, 64 << 10, TimeSpan.FromMilliseconds(2), chunked: true).ConfigureAwait(false));
                        }

                    case Kind.OversizedImage:
                        {
                            long length = DigitServer.MaxImageBytes + 1 + random.Next(8 << 20);
                            var head = Head(port, "POST", $"/api/predict?model={c.Model.Name}", "image/png", length);
                            return Raw(expected, await RawHttp.SendAsync(port, head, c.Png, length, 64 << 10, TimeSpan.FromMilliseconds(2)).ConfigureAwait(false));
                        }

                    case Kind.SlowSender:
                        {
                            // A short body (two pixels: a 400) dribbled 4 bytes every 250 ms, about 16 bytes/s.
                            var body = Encoding.UTF8.GetBytes("{\"pixels\": [0.5, 0.25], \"model\": \"" + c.Model.Name + "\"}");
                            var head = Head(port, "POST", "/api/predict", JsonType, body.Length);
                            return Raw(expected, await RawHttp.SendAsync(port, head, body, body.Length, 4, TimeSpan.FromMilliseconds(250)).ConfigureAwait(false));
                        }

                    case Kind.Stalled:
                        {
                            // A valid-size body announced but sent at 2 bytes/s: Kestrel's minimum data rate (240 bytes/s after a
                            // 5 s grace period) ends it with 408 instead of holding a connection for 15 minutes.
                            var body = Encoding.UTF8.GetBytes(JsonBody(c.Pixels, c.Model.Name, rows: false));
                            var head = Head(port, "POST", "/api/predict", JsonType, body.Length);
                            return Raw(expected, await RawHttp.SendAsync(port, head, body, body.Length, 1, TimeSpan.FromMilliseconds(500), limit: TimeSpan.FromSeconds(30)).ConfigureAwait(false));
                        }

                    case Kind.Disconnect:
                        {
                            // The client announces a body, sends part of it and hangs up: nothing to answer; the server must carry on.
                            bool image = random.Next(2) == 0;
                            var body = image ? c.Png : Encoding.UTF8.GetBytes(JsonBody(c.Pixels, c.Model.Name, rows: false));
                            var head = Head(port, "POST", image ? $"/api/predict?model={c.Model.Name}" : "/api/predict", image ? "image/png" : JsonType, body.Length);
                            return Raw(expected, await RawHttp.SendAsync(port, head, body, body.Length, 256, TimeSpan.Zero, stopAfter: random.Next(1, body.Length)).ConfigureAwait(false));
                        }

                    default:
                        throw new UnreachableException();
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or System.Net.Sockets.SocketException)
            {
                return new Outcome(0, $"no answer: {e.GetType().Name}: {e.Message}");
            }
        }

        private async Task<(int Status, string Body)> Post(string? type, byte[] body, string? model)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, model is null ? "api/predict" : $"api/predict?model={Uri.EscapeDataString(model)}");
            request.Content = new ByteArrayContent(body);
            if (type is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }

            using var response = await _http.SendAsync(request).ConfigureAwait(false);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        }

        /// <summary>A malformed request through HttpClient: the documented status and a JSON {"error": "one line"} body.</summary>
        private async Task<Outcome> Expect(int[] expected, string? type, byte[] body, string? model)
        {
            var (status, text) = await Post(type, body, model).ConfigureAwait(false);
            if (!expected.Contains(status))
            {
                return new Outcome(status, $"status {status}, expected {string.Join(" or ", expected)}: {Clip(text)}");
            }

            try
            {
                using var json = JsonDocument.Parse(text);
                if (!json.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String
                    || error.GetString() is not { Length: > 0 } line || line.Contains('\n', StringComparison.Ordinal))
                {
                    return new Outcome(status, $"status {status} without a one-line \"error\": {Clip(text)}");
                }
            }
            catch (JsonException)
            {
                return new Outcome(status, $"status {status} with a body that is not JSON: {Clip(text)}");
            }

            return new Outcome(status, null);
        }

        private static Outcome Raw(int[] expected, RawResult result) =>
            new(result.Status, expected.Contains(result.Status) ? null : $"status {result.Status} (0: none) after {result.BodyBytesSent} body bytes, expected {string.Join(" or ", expected)}");

        /// <summary>A valid prediction: 200 with the CLI's class and, within <see cref="LoadOracle.Tolerance"/>, its probabilities.</summary>
        private Outcome Compare(int status, string text, string model, CliAnswer expected, string what)
        {
            if (status != 200)
            {
                return new Outcome(status, $"{what}: status {status}: {Clip(text)}");
            }

            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            string? answeredBy = root.GetProperty("model").GetString();
            int predicted = root.GetProperty("predicted").GetInt32();
            var p = root.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            double worst = p.Length == 10 ? p.Zip(expected.Probabilities).Max(x => Math.Abs(x.First - x.Second)) : double.PositiveInfinity;
            if (answeredBy != model || predicted != expected.Predicted || worst > LoadOracle.Tolerance)
            {
                return new Outcome(status, $"{what}: served {answeredBy} class {predicted} [{string.Join(' ', p.Select(Number))}], the CLI says class {expected.Predicted} [{string.Join(' ', expected.Probabilities.Select(Number))}] (worst difference {worst:g3})");
            }

            return new Outcome(status, null);
        }

        private string WrongSize(Random random, OracleCase c)
        {
            var text = c.Pixels.Select(Number).ToList();
            switch (random.Next(4))
            {
                case 0:
                    text.RemoveAt(random.Next(text.Count));
                    return $"{{\"pixels\":[{string.Join(',', text)}],\"model\":\"{c.Model.Name}\"}}";
                case 1:
                    text.Add("0.5");
                    return $"{{\"pixels\":[{string.Join(',', text)}],\"model\":\"{c.Model.Name}\"}}";
                case 2:
                    {
                        var rows = Enumerable.Range(0, 27).Select(r => "[" + string.Join(',', text.Skip(r * 28).Take(28)) + "]");
                        return $"{{\"pixels\":[{string.Join(',', rows)}],\"model\":\"{c.Model.Name}\"}}";
                    }

                default:
                    {
                        int bad = random.Next(28);
                        var rows = Enumerable.Range(0, 28).Select(r => "[" + string.Join(',', text.Skip(r * 28).Take(r == bad ? 29 : 28)) + (r == bad ? ",0.5" : "") + "]");
                        return $"{{\"pixels\":[{string.Join(',', rows)}],\"model\":\"{c.Model.Name}\"}}";
                    }
            }
        }

        private static string Clip(string text) => text.Length <= 200 ? text : text[..197] + "...";
    }

    /// <summary>The JSON body of a prediction: 784 numbers flat, or 28 rows of 28 (numpy's tolist() of a 28x28 image).</summary>
    public static string JsonBody(float[] pixels, string model, bool rows)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var text = new StringBuilder("{\"pixels\":[");
        for (int i = 0; i < pixels.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            if (rows && i % 28 == 0)
            {
                text.Append('[');
            }

            text.Append(Number(pixels[i]));
            if (rows && i % 28 == 27)
            {
                text.Append(']');
            }
        }

        return text.Append("],\"model\":\"").Append(model).Append("\"}").ToString();
    }

    private static string Number(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Samples the server's resident memory (VmRSS of /proc/PID/status) every 200 ms, from the warm-up on.</summary>
    private sealed class MemorySampler(int pid)
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(double Seconds, double MiB)> _samples = [];
        private int _mark;
        private double _markSeconds;
        private Task? _loop;

        /// <summary>The samples since <see cref="Mark"/>, seconds counted from it.</summary>
        public List<(double Seconds, double MiB)> Run
        {
            get
            {
                lock (_samples)
                {
                    return [.. _samples.Skip(_mark).Select(x => (x.Seconds - _markSeconds, x.MiB))];
                }
            }
        }

        public void Start() => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(200, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        /// <summary>Ends the warm-up: the value now and the warm-up's peak; later samples are the measured run's.</summary>
        public (double Now, double Peak) Mark()
        {
            Sample();
            lock (_samples)
            {
                _mark = _samples.Count - 1;
                _markSeconds = _samples[^1].Seconds;
                return (_samples[^1].MiB, _samples.Max(x => x.MiB));
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            if (_loop is not null)
            {
                await _loop.ConfigureAwait(false);
            }

            Sample();
        }

        private void Sample()
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    double kib = double.Parse(line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                    lock (_samples)
                    {
                        _samples.Add((_clock.Elapsed.TotalSeconds, kib / 1024));
                    }

                    return;
                }
            }
        }
    }
}
