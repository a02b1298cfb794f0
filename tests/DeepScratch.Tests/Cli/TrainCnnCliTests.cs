using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// <c>deepscratch train --model simple-cnn|deep-cnn</c>: a tiny run trains, reports the per-epoch sample and the
/// whole test set, saves a model the library reloads with the same accuracy; options a CNN does not take are
/// refused in one line with exit 2.
/// </summary>
public sealed class TrainCnnCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-traincnn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static double Read(string stdout, string label)
    {
        var match = Regex.Match(stdout, $@"^{label}: (0\.\d{{4}})$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{label}: ' line in: {stdout}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_tiny_simple_cnn_run_learns_reports_its_sample_and_reloads_with_the_same_accuracy()
    {
        string model = Path.Combine(_dir, "simple.safetensors");
        string data = SmallFashionMnist(train: 1000, test: 500);
        var r = CliRunner.Run(_dir, "train", "--model", "simple-cnn", "--optimizer", "adam", "--lr", "0.001", "--iterations", "30",
            "--eval-sample", "300", "--dataset", "fashion-mnist", "--data", data, "--seed", "1", "--out", model);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Training simple-cnn", r.Stdout);
        Assert.Contains("init std 0.01 (simple-cnn default)", r.Stdout);
        // 1000 images make an epoch of 10 iterations: epochs measure the samples, the end the whole (small) test set.
        Assert.Matches(new Regex(@"^epoch\s+1\s+iteration\s+10/30\s+loss \S+\s+train \S+ \(of 300\)\s+test \S+ \(of 300\)", RegexOptions.Multiline), r.Stdout);
        Assert.Matches(new Regex(@"^epoch\s+3\s+iteration\s+30/30\s+loss \S+\s+train \S+ \(of 300\)\s+test \S+ \(of 500\)", RegexOptions.Multiline), r.Stdout);
        Assert.Contains("(test: all 500 test images; train: the first 300 training images, --eval-sample)", r.Stdout);
        double trained = Read(r.Stdout, "Test accuracy");
        Assert.InRange(trained, 0.45, 1.0); // 30 Adam steps: far above chance (0.1)

        var e = CliRunner.Run(_dir, "eval", "--weights", model, "--data", data);
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Equal(trained, Read(e.Stdout, "Accuracy"), 4);
    }

    private string SmallFashionMnist(int train, int test) => SmallFashionMnist(_dir, train, test);

    /// <summary>
    /// A data folder (under <paramref name="dir"/>) holding the first <paramref name="train"/> and <paramref name="test"/>
    /// images of Debian's Fashion-MNIST (raw IDX): a CNN's evaluation of the whole test set stays short in a Debug build.
    /// </summary>
    internal static string SmallFashionMnist(string dir, int train, int test)
    {
        string folder = Path.Combine(dir, "data", "fashion-mnist");
        Directory.CreateDirectory(folder);
        foreach (var (prefix, count) in new[] { ("train", train), ("t10k", test) })
        {
            foreach (var (kind, header, record) in new[] { ("images-idx3-ubyte", 16, 784), ("labels-idx1-ubyte", 8, 1) })
            {
                using var source = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine("/usr/share/datasets/fashion-mnist", $"{prefix}-{kind}.gz")), System.IO.Compression.CompressionMode.Decompress);
                var bytes = new byte[header + count * record];
                source.ReadExactly(bytes);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
                File.WriteAllBytes(Path.Combine(folder, $"{prefix}-{kind}"), bytes);
            }
        }

        return Path.Combine(dir, "data");
    }

    [Theory]
    [InlineData("--hidden does not apply to --model simple-cnn, which takes only --init and --weight-decay: --hidden is for two-layer and multi-layer.",
        "--model", "simple-cnn", "--hidden", "50")]
    [InlineData("--activation and --batchnorm do not apply to --model simple-cnn, which takes only --init and --weight-decay: --activation is for multi-layer and --batchnorm is for multi-layer.",
        "--model", "simple-cnn", "--activation", "sigmoid", "--batchnorm")]
    [InlineData("--dropout does not apply to --model simple-cnn, which takes only --init and --weight-decay: --dropout is for multi-layer and deep-cnn.",
        "--model", "simple-cnn", "--dropout", "0.5")]
    [InlineData("--init does not apply to --model deep-cnn, which takes only --dropout and --weight-decay: --init is for two-layer, multi-layer and simple-cnn.",
        "--model", "deep-cnn", "--init", "he")]
    [InlineData("--hidden does not apply to --model deep-cnn, which takes only --dropout and --weight-decay: --hidden is for two-layer and multi-layer.",
        "--model", "deep-cnn", "--hidden", "100")]
    [InlineData("--batchnorm does not apply to --model two-layer, which takes only --hidden and --init: --batchnorm is for multi-layer.",
        "--batchnorm")]
    [InlineData("--weight-decay does not apply to --model two-layer, which takes only --hidden and --init: --weight-decay is for multi-layer, simple-cnn and deep-cnn.",
        "--weight-decay", "0.1")]
    [InlineData("--eval-sample must be 0 (the whole sets) or more; got -1.", "--model", "simple-cnn", "--eval-sample", "-1")]
    public void An_option_the_network_does_not_take_is_one_usage_line(string message, params string[] options)
    {
        var r = CliRunner.Run(_dir, ["train", "--dataset", "fashion-mnist", "--out", Path.Combine(_dir, "x.safetensors"), .. options]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {message}"], r.StderrLines);
        Assert.False(File.Exists(Path.Combine(_dir, "x.safetensors")));
    }
}
