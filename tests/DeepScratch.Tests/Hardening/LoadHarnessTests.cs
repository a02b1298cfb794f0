using DeepScratch.Data;
using DeepScratch.Hardening.Load;
using DeepScratch.Models;
using DeepScratch.Tests.Cli;
using DeepScratch.Tests.Data;
using DeepScratch.Web;
using Xunit.Abstractions;

namespace DeepScratch.Tests.Hardening;

/// <summary>
/// The short version of the load harness (bench/DeepScratch.Hardening load): the built <c>deepscratch serve</c> as a
/// child process with the book's three networks and a Fashion-MNIST one, 16 clients, about 1,000 requests of every
/// kind; the same checks as the long run (no latency figures asserted). The expected answers come from the CLI's own
/// <c>predict</c> runs, computed once for the class.
/// </summary>
public sealed class LoadHarnessTests(LoadHarnessTests.Setup setup, ITestOutputHelper output) : IClassFixture<LoadHarnessTests.Setup>
{
    /// <summary>The options shared by the tests and the CLI's answers for them (2 images per network).</summary>
    public sealed class Setup : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-loadtest-").FullName;
        private readonly Lazy<(LoadOptions Options, IReadOnlyList<OracleCase> Oracle)> _prepared;

        public Setup() => _prepared = new(Prepare);

        public (LoadOptions Options, IReadOnlyList<OracleCase> Oracle) Prepared => _prepared.Value;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private (LoadOptions, IReadOnlyList<OracleCase>) Prepare()
        {
            // A Fashion-MNIST network (untrained, He-initialised weights: its outputs are far from uniform) saved as train
            // saves one, so the server names Fashion-MNIST classes; what matters here is that it answers as the CLI does.
            string fashion = Path.Combine(_dir, "fashion_mlp.safetensors");
            ModelFile.Save(fashion, new MultiLayerNet(784, [50], 10), new Dictionary<string, string> { [ModelFile.DatasetKey] = "fashion-mnist" });
            var options = new LoadOptions
            {
                CliPath = CliRunner.CliPath,
                DataDir = TestData.Dir,
                FashionDir = Catalog.FashionSystemFolder,
                FashionModel = fashion,
                Requests = 1000,
                Clients = 16,
                Seconds = 60,
                Seed = 11,
                ImagesPerModel = 2,
                WarmupRequests = 400,
                // A short run cannot tell a small leak from the collector still growing to its working size (the long
                // run's 1,000-request warm-up reaches it, and its bounds are 96 MiB each): wider bounds here.
                RssBoundMiB = 192,
                TrendBoundMiB = 128,
            };
            var models = LoadHarness.Models(options, _dir);
            var oracle = LoadOracle.Compute(options.CliPath, LoadHarness.DataFolder(options, _dir), models, options.ImagesPerModel, options.Seed, _dir);
            return (options, oracle);
        }
    }

    [FashionMnistFact]
    public async Task Sixteen_clients_get_no_5xx_the_cli_s_answers_the_documented_4xx_an_early_413_and_flat_memory()
    {
        var (options, oracle) = setup.Prepared;
        var report = await LoadHarness.Run(options with { Oracle = oracle });
        var text = new StringWriter();
        LoadCommand.Print(report, text);
        output.WriteLine(text.ToString());

        Assert.True(report.Passed, text.ToString());
        Assert.Equal(["deep_convnet_params", "params", "sample_weight", "fashion_mlp"], report.Models);
        Assert.Equal(1000, report.Requests);
        Assert.Equal(0, report.ServerErrors);
        Assert.DoesNotContain(report.Statuses.Keys, s => s >= 500);
        Assert.Equal(0, report.WrongPredictions);
        Assert.Equal(0, report.UnexpectedAnswers);
        // Every kind ran, valid ones compared with the CLI: json-flat, json-28x28 and png are all 200s.
        Assert.Equal(18, report.Kinds.Count);
        int valid = report.Kinds.Where(k => k.Kind is "json-flat" or "json-28x28" or "png").Sum(k => k.Count);
        Assert.True(valid > 350, $"{valid} valid predictions");
        Assert.Equal(valid, report.CheckedPredictions);
        Assert.Equal(valid, report.Statuses[200]);
        // The documented refusals, each answered as such.
        Assert.All(report.Kinds.Where(k => k.Kind.StartsWith("over-", StringComparison.Ordinal)), k => Assert.Equal([413], k.Statuses.Keys));
        Assert.Equal([408], report.Kinds.Single(k => k.Kind == "stalled-sender").Statuses.Keys);
        Assert.Equal([0], report.Kinds.Single(k => k.Kind == "disconnect").Statuses.Keys);
        // 413 for a 100 MB body after at most 1 MiB of it (announced) or 1 MiB past the limit (chunked): the server does
        // not read what it will refuse.
        Assert.Equal(4, report.EarlyRefusals.Count);
        Assert.All(report.EarlyRefusals, e => Assert.Equal(413, e.Answer.Status));
        Assert.All(report.EarlyRefusals, e => Assert.InRange(e.Answer.BodyBytesSent, e.MustRead, e.MustRead + (1 << 20)));
        Assert.Equal([0L, 0L, DigitServer.MaxImageBytes, DigitServer.MaxJsonBytes], report.EarlyRefusals.Select(e => e.MustRead));
        Assert.InRange(report.RssMiB.End, 0, report.RssMiB.WarmupPeak + options.RssBoundMiB);
        Assert.InRange(report.FloorGrowthMiB, double.NegativeInfinity, options.TrendBoundMiB);
        Assert.InRange(report.PeakGrowthMiB, double.NegativeInfinity, options.RssBoundMiB);
        Assert.Equal((0, ""), report.Shutdown);
    }

    [FashionMnistFact]
    public async Task A_wrong_expectation_turns_the_run_red()
    {
        // The harness can fail: expect class+1 from the chapter 3 MLP, and every one of its valid predictions is reported.
        var (options, oracle) = setup.Prepared;
        var report = await LoadHarness.Run(options with
        {
            Oracle = oracle,
            Requests = 200,
            WarmupRequests = 0,
            ValidOnly = true,
            TamperOracle = c => c.Model.Name != "sample_weight" ? c : c with
            {
                Json = c.Json with { Predicted = (c.Json.Predicted + 1) % 10 },
                Image = c.Image with { Predicted = (c.Image.Predicted + 1) % 10 },
            },
        });

        Assert.False(report.Passed);
        Assert.True(report.WrongPredictions > 0);
        Assert.Equal(0, report.ServerErrors);
        Assert.Equal(0, report.UnexpectedAnswers);
        var examples = report.Failures.Where(f => f.Contains("the CLI says", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(examples);
        Assert.All(examples, f => Assert.Contains("served sample_weight class", f, StringComparison.Ordinal));
    }

    [Fact]
    public void The_png_writer_s_bytes_decode_to_the_same_pixels()
    {
        // The bodies' own PNG writer, checked against the library's decoder (StbImageSharp) on a real digit, enlarged 3x.
        var set = Mnist.Read(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        byte[] digit = set.Images.Image(7).ToArray();
        var image = StbImageSharp.ImageResult.FromMemory(Png.Gray(digit, 28, 28, scale: 3), StbImageSharp.ColorComponents.Grey);
        Assert.Equal((84, 84), (image.Width, image.Height));
        for (int y = 0; y < 84; y++)
        {
            for (int x = 0; x < 84; x++)
            {
                Assert.Equal(digit[((y / 3) * 28) + (x / 3)], image.Data[(y * 84) + x]);
            }
        }

        Assert.True(DigitImage.TryReadSize(Png.DeclaringSize(2500, 2001), out int w, out int h));
        Assert.True((long)w * h > DigitServer.MaxImagePixels);
    }
}
