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
/// A script runs with <c>--quick</c>, or once for each <c>// ci: ARGS</c> comment in its header (scripts that need the
/// MNIST training set say <c>// ci: --dataset fashion-mnist --quick</c>: CI has no MNIST training set; a script whose
/// full and quick paths both matter has a line for each).
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
            "ch05/buy_apple.cs", "ch05/buy_apple_orange.cs", "ch05/gradient_check.cs", "ch05/train_neuralnet.cs",
            "ch06/optimizer_compare_naive.cs", "ch06/optimizer_compare_mnist.cs", "ch06/weight_init_activation_histogram.cs",
            "ch06/weight_init_compare.cs", "ch06/batch_norm_test.cs", "ch06/overfit_weight_decay.cs", "ch06/overfit_dropout.cs",
            "ch06/hyperparameter_optimization.cs",
            "ch07/train_convnet.cs", "ch07/visualize_filter.cs",
            "ch08/misclassified_mnist.cs", "ch08/half_float_network.cs", "ch08/train_deepnet.cs",
        })
        {
            Assert.Contains(expected, scripts);
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptRunsAndItsPicturesDecode(string script)
    {
        foreach (var run in runs.All(script))
        {
            output.WriteLine($"{script} {string.Join(' ', run.Args)}: exit {run.ExitCode} in {run.Elapsed.TotalSeconds:F1} s (all scripts: {runs.Elapsed.TotalSeconds:F0} s)\n{run.Stdout}{run.Stderr}");
            Assert.True(run.ExitCode == 0, $"{script} {string.Join(' ', run.Args)} exited {run.ExitCode}\nstdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
            Assert.True(run.Lines.Length > 0, $"{script} {string.Join(' ', run.Args)} printed nothing");
            foreach (string png in run.Lines.Where(l => l.EndsWith(".png", StringComparison.Ordinal)))
            {
                string path = Path.Combine(run.Folder, png);
                Assert.True(File.Exists(path), $"{script} printed {png} but did not write it");
                var image = PngImage.Read(path);
                Assert.True(image.Width >= 28 && image.Height >= 28, $"{png} is {image.Width}x{image.Height}");
                Assert.True(image.Pixels.Distinct().Skip(1).Any(), $"{png} is one flat colour");
            }
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
    public void TrainNeuralnetLearnsFashionMnistInTwoQuickEpochs()
    {
        var run = runs["ch04/train_neuralnet.cs"];
        Assert.Equal(["--dataset", "fashion-mnist", "--quick"], run.Args);
        var accuracies = run.Lines.Where(l => l.StartsWith("train acc, test acc | ", StringComparison.Ordinal))
            .Select(l => l["train acc, test acc | ".Length..].Split(", ").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();

        // 1,201 iterations at 600 per epoch: evaluated at iterations 0, 600 and 1200, as the book's i % iter_per_epoch == 0.
        Assert.Equal(3, accuracies.Length);
        Assert.All(accuracies[0], a => Assert.InRange(a, 0.0, 0.25));  // untrained: about chance (0.1)
        // Two epochs of SGD at lr 0.1 of the book's sigmoid network (std 0.01 weights) on Fashion-MNIST: ~0.75.
        Assert.All(accuracies[^1], a => Assert.InRange(a, 0.7, 1.0));
        // Over all 60,000 training and 10,000 test images: whole counts of each.
        Assert.All(accuracies, a =>
        {
            Assert.Equal(Math.Round(a[0] * 60000), a[0] * 60000, 6);
            Assert.Equal(Math.Round(a[1] * 10000), a[1] * 10000, 6);
        });
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

    [Fact]
    public void ADatasetOrDataOptionWithoutItsValueSaysSo()
    {
        // The option last, its value forgotten: not "unknown argument", but what it needs (names from DatasetKind).
        var dataset = AllRuns.Run("ch02/and_gate.cs", ["--quick", "--dataset"], runs.Root);
        Assert.Equal(2, dataset.ExitCode);
        Assert.Equal("and_gate: error: --dataset needs a value (mnist or fashion-mnist)", dataset.Stderr.Trim());
        Assert.Equal("", dataset.Stdout);
        var data = AllRuns.Run("ch02/and_gate.cs", ["--data"], runs.Root);
        Assert.Equal(2, data.ExitCode);
        Assert.Equal("and_gate: error: --data needs a value (the data folder)", data.Stderr.Trim());
    }

    [Fact]
    public void ADivergedTrainingRunExits4WithOneLine()
    {
        // A script whose training diverges (as a too large learning rate makes it): exit 4 as deepscratch train's,
        // one line, no stack trace. A tiny script of our own, next to the runs, built like the chapter scripts.
        string folder = Path.Combine(runs.Root, "diverged");
        Directory.CreateDirectory(folder);
        string library = Path.Combine(TestData.RepositoryRoot, "src", "DeepScratch", "DeepScratch.csproj");
        string script = Path.Combine(folder, "diverging_script.cs");
        File.WriteAllText(script, $$"""
            #:project {{library}}
            using DeepScratch.Data;
            using DeepScratch.Training;

            var run = ChapterScript.Start(args);
            Console.WriteLine("training ...");
            throw new TrainingDivergedException("training diverged at iteration 3: the loss is NaN.", DivergenceSign.NonFiniteLoss, DivergenceCause.LearningRate, 3);
            """);
        var result = AllRuns.Run(script, ["--quick"], folder);
        Assert.Equal(4, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("diverging_script: error: training diverged at iteration 3: the loss is NaN. The learning rate is too large", line);
        Assert.Equal(["training ..."], result.Lines);
    }

    [Theory]
    [InlineData("ch05/buy_apple.cs")]
    [InlineData("ch05/buy_apple_orange.cs")]
    public void BuyAppleScriptsPrintTheBooksPricesAndDerivatives(string script)
    {
        // By hand (section 5.4): price = (100·2 [+ 150·3])·1.1; backward from dprice = 1 every input's derivative is
        // the product of the other factors on its path: dApple = 2·1.1, dApple_num = 100·1.1, dOrange = 3·1.1,
        // dOrange_num = 150·1.1, dTax = the price before tax.
        string[] expected = script.EndsWith("orange.cs", StringComparison.Ordinal)
            ? ["price: 715", "dApple: 2.2", "dApple_num: 110", "dOrange: 3.3", "dOrange_num: 165", "dTax: 650"]
            : ["price: 220", "dApple: 2.2", "dApple_num: 110", "dTax: 200"];
        Assert.Equal(expected, runs[script].Lines);
    }

    [Fact]
    public void GradientCheckFindsBackpropagationEqualToTheNumericalGradient()
    {
        var run = runs["ch05/gradient_check.cs"];
        // Backpropagation and central differences compute the same derivative: the book's differences are ~1e-10 in
        // float64; in float32 with h = 1e-3 they stay far below the gradients' own size (~1e-3).
        Assert.Equal(["W1", "b1", "W2", "b2"], run.Lines.Select(l => l.Split(':')[0]));
        Assert.All(run.Lines, l => Assert.InRange(double.Parse(l.Split(':')[1], CultureInfo.InvariantCulture), 0, 1e-4));
    }

    [Fact]
    public void Chapter5TrainNeuralnetLearnsByBackpropagation()
    {
        var run = runs["ch05/train_neuralnet.cs"];
        Assert.Equal(["--dataset", "fashion-mnist", "--quick"], run.Args);
        // 1,201 iterations at 600 per epoch: measured at iterations 0, 600 and 1200, "train_acc test_acc" as the book prints.
        var accuracies = run.Lines.Select(l => l.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(3, accuracies.Length);
        Assert.All(accuracies[0], a => Assert.InRange(a, 0.0, 0.25)); // untrained: about chance
        Assert.All(accuracies[2], a => Assert.InRange(a, 0.7, 1.0));  // two epochs of SGD at lr 0.1 on Fashion-MNIST: ~0.8
        Assert.All(accuracies, a => Assert.Equal(Math.Round(a[0] * 60000), a[0] * 60000, 6)); // fractions of the 60,000 training images
    }

    [Fact]
    public void OptimizerCompareNaiveEndsWhereTheBooksUpdateRulesLead()
    {
        var run = runs["ch06/optimizer_compare_naive.cs"];
        // The book's common/optimizer.py rules, in double, 30 steps from (-7, 2) on f = x²/20 + y² (df = (x/10, 2y)).
        static (double X, double Y) Walk(Func<int, double[], double[], double[]> step)
        {
            double[] p = [-7, 2];
            (double, double) last = default;
            for (int i = 0; i < 30; i++)
            {
                last = (p[0], p[1]);
                p = step(i + 1, p, [p[0] / 10, 2 * p[1]]);
            }

            return last;
        }

        double[] v = [0, 0], h = [0, 0], m = [0, 0], s = [0, 0];
        var expected = new Dictionary<string, (double X, double Y)>
        {
            ["SGD"] = Walk((_, p, g) => [p[0] - 0.95 * g[0], p[1] - 0.95 * g[1]]),
            ["Momentum"] = Walk((_, p, g) =>
            {
                for (int k = 0; k < 2; k++) { v[k] = 0.9 * v[k] - 0.1 * g[k]; }
                return [p[0] + v[0], p[1] + v[1]];
            }),
            ["AdaGrad"] = Walk((_, p, g) =>
            {
                for (int k = 0; k < 2; k++) { h[k] += g[k] * g[k]; }
                return [p[0] - 1.5 * g[0] / (Math.Sqrt(h[0]) + 1e-7), p[1] - 1.5 * g[1] / (Math.Sqrt(h[1]) + 1e-7)];
            }),
            ["Adam"] = Walk((t, p, g) =>
            {
                double lrT = 0.3 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
                double[] next = [.. p];
                for (int k = 0; k < 2; k++)
                {
                    m[k] += 0.1 * (g[k] - m[k]);
                    s[k] += 0.001 * (g[k] * g[k] - s[k]);
                    next[k] -= lrT * m[k] / (Math.Sqrt(s[k]) + 1e-7);
                }

                return next;
            }),
        };
        Assert.Equal(5, run.Lines.Length);
        foreach (var (name, (x, y)) in expected)
        {
            var match = System.Text.RegularExpressions.Regex.Match(run.Lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)), @"last point \((\S+), (\S+)\), f = (\S+)$");
            Assert.True(match.Success, name);
            Assert.Equal(x, double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 1e-3);
            Assert.Equal(y, double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), 1e-3);
            Assert.Equal(x * x / 20 + y * y, double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), 1e-3);
        }

        Assert.Equal("ch06-optimizer_compare_naive.png", run.Lines[^1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[^1]));
        Assert.Equal((1000, 900), (png.Width, png.Height));
    }

    [Theory]
    [InlineData("ch06/optimizer_compare_mnist.cs", "SGD", new[] { "Momentum", "AdaGrad", "Adam" })]
    [InlineData("ch06/weight_init_compare.cs", "std=0.01", new[] { "Xavier", "He" })]
    public void ComparisonScriptsShowTheSlowestOneBehind(string script, string slowest, string[] others)
    {
        var run = runs[script];
        Assert.Equal(["--dataset", "fashion-mnist", "--quick"], run.Args);
        // The book's figures 6-9 and 6-15: after 100 iterations plain SGD (and std-0.01 weights) lag behind the rest.
        int at100 = Array.IndexOf(run.Lines, "===========iteration:100===========");
        Assert.True(at100 > 0, string.Join('\n', run.Lines));
        var loss = run.Lines[(at100 + 1)..^1].ToDictionary(l => l.Split(':')[0], l => double.Parse(l.Split(':')[1], CultureInfo.InvariantCulture));
        Assert.Equal([slowest, .. others], loss.Keys);
        Assert.All(others, o => Assert.True(loss[slowest] > loss[o], $"{slowest} {loss[slowest]} vs {o} {loss[o]}"));
        if (slowest == "std=0.01")
        {
            // Weights of std 0.01 through four ReLU layers leave the output almost constant: the loss of a uniform guess, ln 10.
            Assert.Equal(Math.Log(10), loss[slowest], 0.01);
        }
    }

    [Fact]
    public void ActivationHistogramShowsSigmoidSaturation()
    {
        var run = runs["ch06/weight_init_activation_histogram.cs"];
        // With N(0, 1) weights over 100 inputs, a = Σ x·w has std ≥ 10·E|z| ≈ 5: most sigmoid outputs fall below 0.1 or above 0.9.
        var shares = run.Lines[..^1].Select(l => double.Parse(System.Text.RegularExpressions.Regex.Match(l, @": (\S+) %").Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(5, shares.Length);
        Assert.All(shares, p => Assert.InRange(p, 50, 100));
        // Both tails, not one: sigmoid of a symmetric a puts as much below 0.1 as above 0.9 (a constant sigmoid, all
        // at 0 or all at 1, would pass the share above). Each tail holds 25-75 % of the saturated outputs.
        foreach (string line in run.Lines[..^1])
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^(\d)-layer: (\S+) % .* \((\S+) % below, (\S+) % above\)$");
            Assert.True(m.Success, line);
            double both = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            double below = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            double above = double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
            Assert.Equal(both, below + above, 0.11); // each share rounded to 0.1 %
            Assert.InRange(below / both, 0.25, 0.75);
            Assert.InRange(above / both, 0.25, 0.75);
        }

        Assert.Equal("ch06-weight_init_activation_histogram.png", run.Lines[^1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[^1]));
        Assert.Equal((1500, 400), (png.Width, png.Height));
    }

    [Theory]
    [InlineData("ch06/overfit_weight_decay.cs", @"^epoch:(\d+), train acc:(\S+), test acc:(\S+)$", 0, 11)]
    [InlineData("ch06/overfit_dropout.cs", @"^=== epoch:(\d+), train acc:(\S+), test acc:(\S+) ===$", 1, 11)]
    public void OverfitScriptsMeasureThe300TrainingImagesEveryEpoch(string script, string pattern, int first, int epochs)
    {
        var run = runs[script];
        var matches = run.Lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, pattern)).Where(m => m.Success).ToArray();
        Assert.Equal(Enumerable.Range(first, epochs).Select(e => e.ToString(CultureInfo.InvariantCulture)), matches.Select(m => m.Groups[1].Value));
        foreach (var m in matches)
        {
            // Accuracies over all 300 training and all 10,000 test images: whole counts of each.
            double train = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            double test = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.Equal(Math.Round(train * 300), train * 300, 6);
            Assert.Equal(Math.Round(test * 10000), test * 10000, 6);
        }

        string png = run.Lines[^1];
        Assert.Equal("ch06-" + Path.GetFileNameWithoutExtension(script) + ".png", png);
        Assert.Equal((800, 600), (PngImage.Read(Path.Combine(run.Folder, png)).Width, PngImage.Read(Path.Combine(run.Folder, png)).Height));
    }

    [Fact]
    public void BatchNormTestTrainsBothNetworksAtSixteenScales()
    {
        var run = runs["ch06/batch_norm_test.cs"];
        // np.logspace(0, -4, 16): 16 runs, each printing "epoch:k | without - with" for its 2 quick epochs.
        Assert.Equal(Enumerable.Range(1, 16).Select(i => $"============== {i}/16 =============="), run.Lines.Where(l => l.StartsWith("=====", StringComparison.Ordinal)));
        var epochs = run.Lines.Where(l => l.StartsWith("epoch:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(32, epochs.Length);
        Assert.All(epochs, l => Assert.Matches(@"^epoch:[01] \| [0-9.]+ - [0-9.]+$", l));

        // Each accuracy is over the 1,000 training images: a whole count of them.
        var last = epochs.Where(l => l.StartsWith("epoch:1 ", StringComparison.Ordinal))
            .Select(l => l["epoch:1 | ".Length..].Split(" - ").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .Select(a => (Plain: a[0], BatchNorm: a[1])).ToArray();
        Assert.All(epochs.SelectMany(l => l["epoch:0 | ".Length..].Split(" - ")), v =>
            Assert.Equal(Math.Round(double.Parse(v, CultureInfo.InvariantCulture) * 1000), double.Parse(v, CultureInfo.InvariantCulture) * 1000, 6));
        // The book's figure 6-18: at small weight scales (the last 8 of np.logspace(0, -4, 16): std 0.0074 and below) the plain
        // network's signal vanishes and it stays at chance, while Batch Normalization learns: BN ahead by more than
        // 0.1 after the quick run's second epoch at (at least) 6 of those 8 scales.
        int bnAhead = last[8..].Count(a => a.BatchNorm > a.Plain + 0.1);
        Assert.True(bnAhead >= 6, "without - with at the 8 smallest scales: " + string.Join(", ", last[8..].Select(a => $"{a.Plain} - {a.BatchNorm}")));
        Assert.Equal("ch06-batch_norm_test.png", run.Lines[^1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[^1]));
        Assert.Equal((1400, 1200), (png.Width, png.Height));
    }

    [Fact]
    public void HyperparameterSearchSamplesTheBooksRangesAndRanksTheTrials()
    {
        var run = runs["ch06/hyperparameter_optimization.cs"];
        var trials = run.Lines.Where(l => l.StartsWith("val acc:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, trials.Length);
        var best = run.Lines.Where(l => l.StartsWith("Best-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, best.Length);
        var ranked = best.Select(l => double.Parse(System.Text.RegularExpressions.Regex.Match(l, @"val acc:(\S+)\)").Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(ranked.OrderByDescending(a => a), ranked);
        // The search finds a setting that learns: the best trial (25 epochs on 400 images under --quick) is far above chance (0.1).
        Assert.True(ranked[0] >= 0.4, $"best validation accuracy {ranked[0]}");
        foreach (string trial in trials)
        {
            var m = System.Text.RegularExpressions.Regex.Match(trial, @"^val acc:(\S+) \| lr:(\S+), weight decay:(\S+)$");
            Assert.True(m.Success, trial);
            double acc = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.Equal(Math.Round(acc * 100), acc * 100, 6); // 100 validation images (20% of 500)
            Assert.InRange(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), 1e-6, 1e-2);
            Assert.InRange(double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), 1e-8, 1e-4);
        }

        Assert.Equal("ch06-hyperparameter_optimization.png", run.Lines[^1]);
    }

    [Theory]
    [InlineData("ch07/train_convnet.cs", "params.safetensors", 0.5)]
    [InlineData("ch08/train_deepnet.cs", "deep_convnet_params.safetensors", 0.2)]
    public void TrainingScriptsLearnAndSaveAModelFile(string script, string saved, double atLeast)
    {
        var run = runs[script];
        Assert.Equal(["--dataset", "fashion-mnist", "--quick"], run.Args);
        double test = double.Parse(run.Lines.Single(l => l.StartsWith("test acc:", StringComparison.Ordinal))["test acc:".Length..], CultureInfo.InvariantCulture);
        Assert.InRange(test, atLeast, 1.0); // chance is 0.1
        Assert.Contains($"Saved Network Parameters! ({saved})", run.Lines);
        // A safetensors file: an 8-byte little-endian header length, then the JSON header.
        byte[] file = File.ReadAllBytes(Path.Combine(run.Folder, saved));
        long headerLength = BitConverter.ToInt64(file, 0);
        Assert.InRange(headerLength, 2, file.Length - 8);
        Assert.Equal((byte)'{', file[8]);
    }

    [Fact]
    public void VisualizeFilterDrawsRandomAndLearnedFilters()
    {
        var run = runs["ch07/visualize_filter.cs"];
        Assert.Equal(["ch07-visualize_filter-random.png", "ch07-visualize_filter-learned.png"], run.Lines.Where(l => l.EndsWith(".png", StringComparison.Ordinal)));
        // 30 filters of 5x5, eight a row: 4 rows of 90-pixel cells.
        Assert.All(run.Lines.Where(l => l.EndsWith(".png", StringComparison.Ordinal)), png =>
            Assert.Equal((720, 360), (PngImage.Read(Path.Combine(run.Folder, png)).Width, PngImage.Read(Path.Combine(run.Folder, png)).Height)));
        // Random weights 0.01·N(0, 1): 750 of them stay within ±0.06 (6 sigma); the learned ones are far larger.
        var ranges = run.Lines.Where(l => l.Contains(" filters of 5x5, weights ", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"weights (\S+) to (\S+)$"))
            .Select(m => (Min: double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Max: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal(2, ranges.Length);
        Assert.InRange(ranges[0].Min, -0.06, 0);
        Assert.InRange(ranges[0].Max, 0, 0.06);
        Assert.True(ranges[1].Max - ranges[1].Min > 0.3, $"learned range {ranges[1]}");
    }

    [Fact]
    public void MisclassifiedMnistPrintsTheDeepConvNetsAccuracyAndTwentyMistakes()
    {
        var run = runs["ch08/misclassified_mnist.cs", "--dataset mnist"];
        // deep_convnet_params.pkl on the 10,000 MNIST test images: 9,797 right (the accuracy the data catalog records).
        Assert.Contains("test accuracy:0.9797", run.Lines);
        var pairs = System.Text.RegularExpressions.Regex.Matches(run.Lines.Single(l => l.StartsWith("{1: ", StringComparison.Ordinal)), @"(\d+): \((\d), (\d)\)");
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString(CultureInfo.InvariantCulture)), pairs.Select(p => p.Groups[1].Value));
        Assert.All(pairs, p => Assert.NotEqual(p.Groups[2].Value, p.Groups[3].Value));

        Assert.Equal("ch08-misclassified_mnist.png", run.Lines[^1]);
        var png = PngImage.Read(Path.Combine(run.Folder, run.Lines[^1]));
        Assert.Equal((800, 720), (png.Width, png.Height));
    }

    [Fact]
    public void MisclassifiedMnistQuickListsThePrefixOfTheFullRunsMistakes()
    {
        // --quick: the first 1,000 test images. Its mistakes come first in the full run's order too, so the quick list is
        // the full list's prefix, and it holds every mistake of the 1,000 (up to 20) as the accuracy counts them.
        var quick = runs["ch08/misclassified_mnist.cs", "--dataset mnist --quick"];
        var full = runs["ch08/misclassified_mnist.cs", "--dataset mnist"];
        Assert.Equal(0, quick.ExitCode);
        double accuracy = double.Parse(quick.Lines.Single(l => l.StartsWith("test accuracy:", StringComparison.Ordinal))["test accuracy:".Length..], CultureInfo.InvariantCulture);
        Assert.Equal(Math.Round(accuracy * 1000), accuracy * 1000, 6);
        Assert.InRange(accuracy, 0.95, 1.0);
        static string[] Pairs(ScriptRun r) => System.Text.RegularExpressions.Regex
            .Matches(r.Lines.Single(l => l.StartsWith('{') && !l.StartsWith("{view", StringComparison.Ordinal)), @"\d+: \(\d, \d\)").Select(m => m.Value).ToArray();
        string[] quickPairs = Pairs(quick);
        Assert.Equal((int)Math.Min(20, Math.Round((1 - accuracy) * 1000)), quickPairs.Length);
        Assert.Equal(Pairs(full).Take(quickPairs.Length), quickPairs);
        Assert.Equal("ch08-misclassified_mnist.png", quick.Lines[^1]);
    }

    [Fact]
    public void HalfFloatNetworkOnTheFullTestSetGivesTheBooksAccuracies()
    {
        var run = runs["ch08/half_float_network.cs", "--dataset mnist"];
        // deep_convnet_params.pkl on all 10,000 MNIST test images: 9,797 right in float32 (the book's pickle's known
        // accuracy, as misclassified_mnist prints); in float16 a whole count of the 10,000 within a few images of it.
        Assert.Equal(["calculate accuracy (float32) ...", "0.9797", "calculate accuracy (float16) ..."], run.Lines[..3]);
        double half = double.Parse(run.Lines[3], CultureInfo.InvariantCulture);
        Assert.Equal(Math.Round(half * 10000), half * 10000, 6);
        Assert.Equal(0.9797, half, 0.0005);
    }

    [Fact]
    public void HalfFloatNetworkKeepsTheAccuracy()
    {
        var run = runs["ch08/half_float_network.cs", "--quick"];
        // The book's point: float16 weights and images classify as float32/64 ones do (1,000 images under --quick).
        Assert.Equal(4, run.Lines.Length);
        double single = double.Parse(run.Lines[1], CultureInfo.InvariantCulture);
        double half = double.Parse(run.Lines[3], CultureInfo.InvariantCulture);
        Assert.InRange(single, 0.95, 1.0);
        Assert.Equal(single, half, 0.005);
        Assert.Equal(Math.Round(half * 1000), half * 1000, 6);
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
        private readonly Dictionary<string, List<ScriptRun>> _runs = [];

        public AllRuns(IMessageSink sink)
        {
            var scripts = Discover();
            // One job per script and // ci: line, in the order of the lines (the first is what runs[script] returns).
            var jobs = scripts.SelectMany(s => CiArgs(Path.Combine(ExamplesFolder, s)).Select((args, i) => (Script: s, Args: args, Index: i))).ToArray();
            var clock = Stopwatch.StartNew();
            var done = new System.Collections.Concurrent.ConcurrentBag<(int Index, ScriptRun Run)>();
            if (jobs.Length > 0)
            {
                done.Add((jobs[0].Index, Run(jobs[0].Script, jobs[0].Args, jobs[0].Index)));
            }

            // Level by level: a script's second run starts only after its first has built it (two concurrent builds of
            // one file-based app would share its build folder).
            foreach (var level in jobs.Skip(1).GroupBy(j => j.Index).OrderBy(g => g.Key))
            {
                Parallel.ForEach(level, new ParallelOptions { MaxDegreeOfParallelism = 2 }, j => done.Add((j.Index, Run(j.Script, j.Args, j.Index))));
            }
            foreach (var (_, run) in done.OrderBy(d => d.Index))
            {
                Add(run);
            }

            Elapsed = clock.Elapsed;
            sink.OnMessage(new Xunit.Sdk.DiagnosticMessage(
                $"ChapterScriptTests: {scripts.Count} scripts in {Elapsed.TotalSeconds:F0} s: " +
                string.Join(", ", _runs.Values.SelectMany(r => r).OrderBy(r => r.Script, StringComparer.Ordinal).Select(r => $"{r.Script} {string.Join(' ', r.Args)} {r.Elapsed.TotalSeconds:F1} s"))));
        }

        /// <summary>The temporary folder the scripts ran in (one subfolder each).</summary>
        public string Root => _root;

        /// <summary>The time all the scripts took, builds included.</summary>
        public TimeSpan Elapsed { get; }

        /// <summary>The script's run with its first <c>// ci:</c> line's arguments (or <c>--quick</c>).</summary>
        public ScriptRun this[string script] => All(script)[0];

        /// <summary>The script's run with exactly <paramref name="args"/> (one of its <c>// ci:</c> lines, space-separated).</summary>
        public ScriptRun this[string script, string args] => All(script).SingleOrDefault(r => string.Join(' ', r.Args) == args)
            ?? throw new KeyNotFoundException($"{script} has no // ci: {args} line (runs: {string.Join("; ", All(script).Select(r => string.Join(' ', r.Args)))})");

        /// <summary>Every run of the script, one per <c>// ci:</c> line, in the lines' order.</summary>
        public IReadOnlyList<ScriptRun> All(string script) => _runs.TryGetValue(script, out var runs)
            ? runs
            : throw new KeyNotFoundException($"{script} is not in examples/ (found: {string.Join(", ", _runs.Keys)})");

        private static string ExamplesFolder => Path.Combine(TestData.RepositoryRoot, "examples");

        /// <summary>examples/ch*/*.cs, as paths relative to examples/ with '/', ordered by chapter then name.</summary>
        public static IReadOnlyList<string> Discover() =>
            Directory.EnumerateDirectories(ExamplesFolder, "ch*")
                .SelectMany(d => Directory.EnumerateFiles(d, "*.cs"))
                .Select(f => Path.GetRelativePath(ExamplesFolder, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .ToArray();

        /// <summary>
        /// The script's CI runs: the arguments of each <c>// ci: ARGS</c> line of its header (first 20 lines), one run
        /// per line, else the one run <c>--quick</c>.
        /// </summary>
        public static IReadOnlyList<string[]> CiArgs(string scriptPath)
        {
            var markers = File.ReadLines(scriptPath).Take(20).Where(l => l.StartsWith(CiMarker, StringComparison.Ordinal))
                .Select(l => l[CiMarker.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
            return markers.Length == 0 ? [["--quick"]] : markers;
        }

        private void Add(ScriptRun run)
        {
            if (!_runs.TryGetValue(run.Script, out var list))
            {
                _runs[run.Script] = list = [];
            }

            list.Add(run);
        }

        private ScriptRun Run(string script, string[] args, int index)
        {
            // One folder per run: two runs of a script write the same file names.
            string folder = Path.Combine(_root, script.Replace('/', '-').Replace(".cs", "", StringComparison.Ordinal) + (index == 0 ? "" : $"-{index + 1}"));
            Directory.CreateDirectory(folder);
            return Run(script, args, folder);
        }

        /// <summary>Runs examples/<paramref name="script"/> with <paramref name="args"/> in <paramref name="folder"/>, offline.</summary>
        public static ScriptRun Run(string script, string[] args, string folder)
        {
            string path = Path.Combine(ExamplesFolder, script);
            var environment = new Dictionary<string, string?>
            {
                ["DEEPSCRATCH_DATA"] = TestData.Dir,
                ["DEEPSCRATCH_OFFLINE"] = "1",
                ["DEEPSCRATCH_DEBUG"] = null,
            };
            var clock = Stopwatch.StartNew();
            try
            {
                // Not ChildProcess.Run directly: FileBasedApp also deletes the script's build cache (tens of MB).
                var (exitCode, stdout, stderr) = FileBasedApp.Run(path, args, folder, environment, Timeout);
                return new ScriptRun(script, args, folder, exitCode, stdout, stderr, clock.Elapsed);
            }
            catch (TimeoutException e)
            {
                return new ScriptRun(script, args, folder, -1, "", e.Message, clock.Elapsed);
            }
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
