using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using DeepScratch.Tests.Cli;
using Xunit.Abstractions;

namespace DeepScratch.Tests.Examples;

/// <summary>
/// Runs every chapter script under <c>examples/ch*/</c> (found in the folder, so a new script cannot be left out) as a
/// user does, <c>dotnet run FILE -- ARGS</c>, in a temporary working folder, and checks its exit code, that every PNG it
/// names exists and decodes, and its key output against an oracle of its own where there is one (the book's printed
/// results, truth tables, closed-form derivatives, bytes read straight from the dataset files).
/// </summary>
/// <remarks>
/// A script runs with <c>--quick</c>, or with the arguments of a <c>// ci: ARGS</c> comment in its header (scripts that
/// need the MNIST training set say <c>// ci: --dataset fashion-mnist --quick</c>: CI has no MNIST training set).
/// Each script is built by <c>dotnet run</c> itself; the first runs alone so that it builds the library once, the
/// rest run two at a time (a second concurrent build of the same library project could collide in its obj folder).
/// The README's code blocks are built the same way (<see cref="Docs.ReadmeTests"/>), so both classes share one
/// collection and never build the library at the same time.
/// </remarks>
[Collection(DotnetRunCollection.Name)]
public sealed class ChapterScriptTests(ChapterScriptTests.AllRuns runs, ITestOutputHelper output) : IClassFixture<ChapterScriptTests.AllRuns>
{
    /// <summary>Every script's relative path (e.g. <c>ch03/neuralnet_mnist.cs</c>), in chapter order.</summary>
    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (string script in AllRuns.Discover())
        {
            data.Add(script);
        }

        return data;
    }

    [Fact]
    public void TheExamplesFolderHoldsTheBooksChapterScripts()
    {
        var scripts = AllRuns.Discover();
        foreach (string expected in new[]
        {
            "ch02/and_gate.cs", "ch02/nand_gate.cs", "ch02/or_gate.cs", "ch02/xor_gate.cs",
            "ch03/step_function.cs", "ch03/sigmoid.cs", "ch03/relu.cs", "ch03/sig_step_compare.cs",
            "ch03/neuralnet_mnist.cs", "ch03/neuralnet_mnist_batch.cs", "ch03/mnist_show.cs", "ch03/softmax_overflow.cs",
            "ch04/gradient_1d.cs", "ch04/gradient_2d.cs", "ch04/gradient_method.cs", "ch04/gradient_simplenet.cs",
            "ch04/train_neuralnet.cs",
        })
        {
            Assert.Contains(expected, scripts);
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptRunsAndItsPicturesDecode(string script)
    {
        var run = runs[script];
        output.WriteLine($"{script} {string.Join(' ', run.Args)}: exit {run.ExitCode} in {run.Elapsed.TotalSeconds:F1} s (all scripts: {runs.Elapsed.TotalSeconds:F0} s)\n{run.Stdout}{run.Stderr}");
        Assert.True(run.ExitCode == 0, $"{script} {string.Join(' ', run.Args)} exited {run.ExitCode}\nstdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
        Assert.True(run.Lines.Length > 0, $"{script} printed nothing");
        foreach (string png in run.Lines.Where(l => l.EndsWith(".png", StringComparison.Ordinal)))
        {
            string path = Path.Combine(run.Folder, png);
            Assert.True(File.Exists(path), $"{script} printed {png} but did not write it");
            var image = PngImage.Read(path);
            Assert.True(image.Width >= 28 && image.Height >= 28, $"{png} is {image.Width}x{image.Height}");
            Assert.True(image.Pixels.Distinct().Skip(1).Any(), $"{png} is one flat colour");
        }
    }

    [Theory]
    [InlineData("ch02/and_gate.cs", "AND")]
    [InlineData("ch02/nand_gate.cs", "NAND")]
    [InlineData("ch02/or_gate.cs", "OR")]
    [InlineData("ch02/xor_gate.cs", "XOR")]
    public void GateScriptsPrintTheTruthTable(string script, string gate)
    {
        // The truth tables from C#'s own boolean operators, in the book's order of input pairs.
        Func<bool, bool, bool> truth = gate switch
        {
            "AND" => (a, b) => a && b,
            "NAND" => (a, b) => !(a && b),
            "OR" => (a, b) => a || b,
            _ => (a, b) => a ^ b,
        };
        var expected = new[] { (0, 0), (1, 0), (0, 1), (1, 1) }
            .Select(p => $"({p.Item1}, {p.Item2}) -> {(truth(p.Item1 == 1, p.Item2 == 1) ? 1 : 0)}");
        Assert.Equal(expected, runs[script].Lines);
    }

    [Theory]
    [InlineData("ch03/step_function.cs", "ch03-step_function.png")]
    [InlineData("ch03/sigmoid.cs", "ch03-sigmoid.png")]
    [InlineData("ch03/relu.cs", "ch03-relu.png")]
    [InlineData("ch03/sig_step_compare.cs", "ch03-sig_step_compare.png")]
    public void ActivationScriptsWriteTheirPlot(string script, string png)
    {
        var run = runs[script];
        Assert.Equal([png], run.Lines);
        var image = PngImage.Read(Path.Combine(run.Folder, png));
        Assert.Equal((640, 480), (image.Width, image.Height));
    }

    [Theory]
    [InlineData("ch03/neuralnet_mnist.cs")]
    [InlineData("ch03/neuralnet_mnist_batch.cs")]
    public void NeuralnetMnistPrintsTheBooksAccuracy(string script)
    {
        // The book's run of ch03/neuralnet_mnist(_batch).py with sample_weight.pkl prints Accuracy:0.9352.
        Assert.Equal(["Accuracy:0.9352"], runs[script].Lines);
    }

    [Fact]
    public void SoftmaxOverflowShowsTheNaiveNaNAndTheBooksSafeResult()
    {
        // The book (section 3.5.2) with numpy: np.exp(a) / np.sum(np.exp(a)) is [nan, nan, nan] for a = [1010, 1000, 990];
        // after subtracting max(a) it is [9.99954600e-01, 4.53978686e-05, 2.06106005e-09].
        var lines = runs["ch03/softmax_overflow.cs"].Lines;
        Assert.Equal("np.exp(a) / np.sum(np.exp(a)) = [NaN, NaN, NaN]", lines[0]);
        Assert.Equal("a - c = [0, -10, -20]", lines[1]);
        double[] book = [9.99954600e-01, 4.53978686e-05, 2.06106005e-09];
        foreach (string line in lines[2..4])
        {
            double[] values = line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..^1]
                .Split(", ").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(3, values.Length);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(Math.Abs(values[i] - book[i]) <= 1e-6 * book[i], $"{line}: element {i} is {values[i]}, the book's {book[i]}");
            }
        }
    }

    [Fact]
    public void MnistShowPrintsTheFirstTrainingImageAndWritesIt()
    {
        var run = runs["ch03/mnist_show.cs"];
        Assert.Contains("fashion-mnist", run.Args);

        // The first training label and image, read straight from the IDX files (8- and 16-byte headers).
        string folder = "/usr/share/datasets/fashion-mnist";
        byte[] labels = Gunzip(Path.Combine(folder, "train-labels-idx1-ubyte.gz"));
        byte[] images = Gunzip(Path.Combine(folder, "train-images-idx3-ubyte.gz"));
        Assert.Equal([labels[8].ToString(CultureInfo.InvariantCulture), "(784,)", "(28, 28)", "ch03-mnist_show.png"], run.Lines);

        var png = PngImage.Read(Path.Combine(run.Folder, "ch03-mnist_show.png"));
        Assert.Equal((280, 280), (png.Width, png.Height));
        for (int r = 0; r < 28; r++)
        {
            for (int c = 0; c < 28; c++)
            {
                byte expected = images[16 + r * 28 + c];
                Assert.Equal(expected, png.Rgb(10 * c, 10 * r).R);
                Assert.Equal(expected, png.Rgb(10 * c + 9, 10 * r + 9).R);
            }
        }
    }

    [Fact]
    public void Gradient1dPrintsTheSlopeAtFiveAndPlotsTheTangent()
    {
        var run = runs["ch04/gradient_1d.cs"];
        // f(x) = 0.01x² + 0.1x, so f'(5) = 0.02·5 + 0.1 = 0.2.
        Assert.Equal(2, run.Lines.Length);
        Assert.Equal(0.2, double.Parse(run.Lines[0], CultureInfo.InvariantCulture), 1e-6);
        Assert.Equal("ch04-gradient_1d.png", run.Lines[1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[1]));
        Assert.Equal((640, 480), (png.Width, png.Height));
    }

    [Fact]
    public void Gradient2dWritesTheQuiverPlot()
    {
        var run = runs["ch04/gradient_2d.cs"];
        Assert.Equal(["ch04-gradient_2d.png"], run.Lines);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[0]));
        Assert.Equal((640, 640), (png.Width, png.Height));
    }

    [Fact]
    public void GradientMethodEndsWhereTheClosedFormSays()
    {
        var run = runs["ch04/gradient_method.cs"];
        // The gradient of x0² + x1² is 2x, so each step multiplies x by 1 - 2·0.1 = 0.8: after 20 steps (-3, 4)·0.8^20.
        double shrink = Math.Pow(0.8, 20);
        var match = System.Text.RegularExpressions.Regex.Match(run.Lines[0], @"^x = \[(\S+), (\S+)\]$");
        Assert.True(match.Success, run.Lines[0]);
        Assert.Equal(-3 * shrink, double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 1e-4);
        Assert.Equal(4 * shrink, double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), 1e-4);
        Assert.Equal("ch04-gradient_method.png", run.Lines[1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[1]));
        Assert.Equal((640, 640), (png.Width, png.Height));
    }

    [Fact]
    public void GradientSimplenetPrintsTheLossGradientOfItsWeights()
    {
        var run = runs["ch04/gradient_simplenet.cs"];
        Assert.Equal(6, run.Lines.Length);
        Assert.Equal("W =", run.Lines[0]);
        Assert.Equal("dW =", run.Lines[3]);
        double[,] w = ParseMatrix(run.Lines[1..3]);
        double[,] dW = ParseMatrix(run.Lines[4..6]);

        // For softmax + cross-entropy, dL/dW = xᵀ(softmax(xW) - t), with x = (0.6, 0.9) and t = class 2 (in double).
        double[] x = [0.6, 0.9];
        double[] z = Enumerable.Range(0, 3).Select(j => x[0] * w[0, j] + x[1] * w[1, j]).ToArray();
        double[] e = z.Select(v => Math.Exp(v - z.Max())).ToArray();
        double[] y = e.Select(v => v / e.Sum()).ToArray();
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(x[i] * (y[j] - (j == 2 ? 1 : 0)), dW[i, j], 2e-3);
            }
        }
    }

    [Fact]
    public void TrainNeuralnetLearnsFashionMnistInOneQuickEpoch()
    {
        var run = runs["ch04/train_neuralnet.cs"];
        Assert.Equal(["--dataset", "fashion-mnist", "--quick"], run.Args);
        var accuracies = run.Lines.Where(l => l.StartsWith("train acc, test acc | ", StringComparison.Ordinal))
            .Select(l => l["train acc, test acc | ".Length..].Split(", ").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();

        // 601 iterations at 600 per epoch: evaluated at iterations 0 and 600, as the book's i % iter_per_epoch == 0.
        Assert.Equal(2, accuracies.Length);
        Assert.All(accuracies[0], a => Assert.InRange(a, 0.0, 0.25));  // untrained: about chance (0.1)
        Assert.All(accuracies[1], a => Assert.InRange(a, 0.7, 1.0));   // one epoch of SGD at lr 0.1 on Fashion-MNIST: ~0.8
        Assert.Equal("ch04-train_neuralnet.png", run.Lines[^1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[^1]));
        Assert.Equal((640, 480), (png.Width, png.Height));
    }

    [Fact]
    public void AScriptsMistakesAreOneLineAndAnExitCode()
    {
        // Data missing (an empty --data folder, downloads off): exit 3 and one line naming the missing file.
        string empty = Path.Combine(runs.Root, "empty-data");
        Directory.CreateDirectory(empty);
        var missing = AllRuns.Run("ch03/neuralnet_mnist.cs", ["--data", empty], runs.Root);
        Assert.Equal(3, missing.ExitCode);
        string line = Assert.Single(missing.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("neuralnet_mnist: error: missing ", line);
        Assert.Contains(Path.Combine(empty, "mnist", "t10k-images-idx3-ubyte.gz"), line);
        Assert.Equal("", missing.Stdout);

        // A mistyped option: exit 2 and one line listing the options.
        var usage = AllRuns.Run("ch02/and_gate.cs", ["--quik"], runs.Root);
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal("and_gate: error: unknown argument '--quik' (expected --dataset mnist|fashion-mnist, --quick, --data DIR)", usage.Stderr.Trim());
        Assert.Equal("", usage.Stdout);
    }

    /// <summary>numpy's printing of a 2-D array, "[[ a b c]" and " [ d e f]]", back into numbers.</summary>
    private static double[,] ParseMatrix(string[] rows)
    {
        var values = rows.Select(r => r.Trim('[', ']', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var m = new double[values.Length, values[0].Length];
        for (int i = 0; i < values.Length; i++)
        {
            for (int j = 0; j < values[0].Length; j++)
            {
                m[i, j] = values[i][j];
            }
        }

        return m;
    }

    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>One script's run.</summary>
    public sealed record ScriptRun(string Script, string[] Args, string Folder, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
    {
        public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs every script once for the whole class (first alone, the rest two at a time) and keeps the results.</summary>
    public sealed class AllRuns : IDisposable
    {
        private const string CiMarker = "// ci:";
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
        private readonly string _root = Directory.CreateTempSubdirectory("deepscratch-examples-").FullName;
        private readonly Dictionary<string, ScriptRun> _runs = [];

        public AllRuns(IMessageSink sink)
        {
            var scripts = Discover();
            var clock = Stopwatch.StartNew();
            if (scripts.Count > 0)
            {
                Add(Run(scripts[0]));
            }

            var rest = new System.Collections.Concurrent.ConcurrentBag<ScriptRun>();
            Parallel.ForEach(scripts.Skip(1), new ParallelOptions { MaxDegreeOfParallelism = 2 }, s => rest.Add(Run(s)));
            foreach (var run in rest)
            {
                Add(run);
            }

            Elapsed = clock.Elapsed;
            sink.OnMessage(new Xunit.Sdk.DiagnosticMessage(
                $"ChapterScriptTests: {scripts.Count} scripts in {Elapsed.TotalSeconds:F0} s: " +
                string.Join(", ", _runs.Values.OrderBy(r => r.Script, StringComparer.Ordinal).Select(r => $"{r.Script} {r.Elapsed.TotalSeconds:F1} s"))));
        }

        /// <summary>The temporary folder the scripts ran in (one subfolder each).</summary>
        public string Root => _root;

        /// <summary>The time all the scripts took, builds included.</summary>
        public TimeSpan Elapsed { get; }

        public ScriptRun this[string script] => _runs.TryGetValue(script, out var run)
            ? run
            : throw new KeyNotFoundException($"{script} is not in examples/ (found: {string.Join(", ", _runs.Keys)})");

        private static string ExamplesFolder => Path.Combine(TestData.RepositoryRoot, "examples");

        /// <summary>examples/ch*/*.cs, as paths relative to examples/ with '/', ordered by chapter then name.</summary>
        public static IReadOnlyList<string> Discover() =>
            Directory.EnumerateDirectories(ExamplesFolder, "ch*")
                .SelectMany(d => Directory.EnumerateFiles(d, "*.cs"))
                .Select(f => Path.GetRelativePath(ExamplesFolder, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .ToArray();

        /// <summary>The script's CI arguments: its <c>// ci: ARGS</c> header comment, else <c>--quick</c>.</summary>
        public static string[] CiArgs(string scriptPath)
        {
            string? marker = File.ReadLines(scriptPath).Take(20).FirstOrDefault(l => l.StartsWith(CiMarker, StringComparison.Ordinal));
            return marker is null ? ["--quick"] : marker[CiMarker.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        private void Add(ScriptRun run) => _runs[run.Script] = run;

        private ScriptRun Run(string script)
        {
            string folder = Path.Combine(_root, script.Replace('/', '-').Replace(".cs", "", StringComparison.Ordinal));
            Directory.CreateDirectory(folder);
            return Run(script, CiArgs(Path.Combine(ExamplesFolder, script)), folder);
        }

        /// <summary>Runs examples/<paramref name="script"/> with <paramref name="args"/> in <paramref name="folder"/>, offline.</summary>
        public static ScriptRun Run(string script, string[] args, string folder)
        {
            string path = Path.Combine(ExamplesFolder, script);
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            foreach (string arg in (string[])["run", path, "--", .. args])
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["DEEPSCRATCH_DATA"] = TestData.Dir;
            start.Environment["DEEPSCRATCH_OFFLINE"] = "1";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment.Remove("DEEPSCRATCH_DEBUG");

            // No build servers left behind holding our output pipes open (the read would never end), as in ReadmeTests.
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            start.Environment["UseSharedCompilation"] = "false";
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return new ScriptRun(script, args, folder, -1, stdout.Result, $"timed out after {Timeout.TotalMinutes} min\n{stderr.Result}", clock.Elapsed);
            }

            return new ScriptRun(script, args, folder, process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
