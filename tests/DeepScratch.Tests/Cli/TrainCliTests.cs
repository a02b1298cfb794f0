using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// End-to-end tests of <c>deepscratch train</c>, <c>convert</c> and evaluating saved models, on Debian's
/// Fashion-MNIST (installed by .ci/run) with short runs that still have to learn.
/// </summary>
public sealed class TrainCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Train_learns_saves_a_model_that_eval_reloads_and_plots_the_curve()
    {
        string model = Path.Combine(_dir, "two.safetensors");
        string plot = Path.Combine(_dir, "curve.png");
        var r = CliRunner.Run(_dir, "train", "--model", "two-layer", "--lr", "0.1", "--iterations", "600", "--dataset", "fashion-mnist",
            "--seed", "1", "--out", model, "--plot", plot);
        Assert.True(r.ExitCode == 0, r.Stderr);
        double trained = ReadAccuracy(r.Stdout, "Test accuracy");
        Assert.InRange(trained, 0.70, 1.0); // one epoch of the book's recipe: far above chance (0.1)
        Assert.Contains("Epoch time:", r.Stdout);
        Assert.Matches(new Regex(@"^epoch\s+1\s+iteration\s+600/600", RegexOptions.Multiline), r.Stdout);

        var png = File.ReadAllBytes(plot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));

        var e = CliRunner.Run(_dir, "eval", "--weights", model, "--dataset", "fashion-mnist");
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Equal(trained, ReadAccuracy(e.Stdout, "Accuracy"), 4);
        Assert.Contains("two-layer 784-50-10", e.Stdout);

        // Without --dataset, eval uses the dataset the model file says it was trained on.
        var implicitDataset = CliRunner.Run(_dir, "eval", "--weights", model);
        Assert.True(implicitDataset.ExitCode == 0, implicitDataset.Stderr);
        Assert.Contains("Fashion-MNIST test set", implicitDataset.Stdout);
        Assert.Equal(trained, ReadAccuracy(implicitDataset.Stdout, "Accuracy"), 4);
    }

    [Fact]
    public void The_same_seed_gives_the_same_model_file()
    {
        string a = Path.Combine(_dir, "a.safetensors");
        string b = Path.Combine(_dir, "b.safetensors");
        foreach (string path in new[] { a, b })
        {
            var r = CliRunner.Run(_dir, "train", "--model", "multi-layer", "--hidden", "30,20", "--batchnorm", "--dropout", "0.2",
                "--optimizer", "adam", "--iterations", "40", "--dataset", "fashion-mnist", "--seed", "7", "--out", path);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }

        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void A_multi_layer_model_with_batchnorm_reloads_with_the_same_accuracy()
    {
        string model = Path.Combine(_dir, "bn.safetensors");
        var r = CliRunner.Run(_dir, "train", "--model", "multi-layer", "--hidden", "50,50", "--batchnorm", "--weight-decay", "0.0001",
            "--optimizer", "adam", "--lr", "0.001", "--iterations", "300", "--dataset", "fashion-mnist", "--out", model);
        Assert.True(r.ExitCode == 0, r.Stderr);
        double trained = ReadAccuracy(r.Stdout, "Test accuracy");
        Assert.InRange(trained, 0.70, 1.0);

        var e = CliRunner.Run(_dir, "eval", "--weights", model, "--dataset", "fashion-mnist", "--batch-size", "1000");
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Equal(trained, ReadAccuracy(e.Stdout, "Accuracy"), 4);
    }

    [Fact]
    public void Convert_writes_safetensors_that_eval_reads_with_the_book_accuracy()
    {
        string model = Path.Combine(_dir, "sample.safetensors");
        var c = CliRunner.Run(_dir, "convert", TestData.Weights("sample_weight.pkl"), model);
        Assert.True(c.ExitCode == 0, c.Stderr);
        Assert.Contains("6 arrays", c.Stdout);

        var e = CliRunner.Run(_dir, "eval", "--weights", model, "--data", TestData.Dir);
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Contains("Accuracy: 0.9352", e.Stdout);

        var i = CliRunner.Run(_dir, "inspect", model);
        Assert.True(i.ExitCode == 0, i.Stderr);
        Assert.Matches(new Regex(@"^W1\s+\(784, 50\)\s+F32\s+C\s", RegexOptions.Multiline), i.Stdout);
    }

    [Theory]
    [InlineData("--lr", "--lr", "-1")]
    [InlineData("--lr", "--lr", "0")]
    [InlineData("--lr", "--lr", "1e39")]
    [InlineData("--lr", "--lr", "1e-50")]
    [InlineData("--lr", "--lr", "abc")]
    [InlineData("--hidden", "--model", "multi-layer", "--hidden", "100000,100000")]
    [InlineData("--epochs", "--epochs", "2000000000")]
    [InlineData("--hidden", "--hidden", "0")]
    [InlineData("--hidden", "--model", "multi-layer", "--hidden", "100,x")]
    [InlineData("--epochs", "--epochs", "0")]
    [InlineData("--batch-size", "--batch-size", "0")]
    [InlineData("--dropout", "--model", "multi-layer", "--dropout", "1")]
    [InlineData("--weight-decay", "--model", "multi-layer", "--weight-decay", "-0.1")]
    [InlineData("--init", "--model", "multi-layer", "--init", "gauss")]
    [InlineData("multi-layer", "--batchnorm")]
    [InlineData("--optimizer", "--optimizer", "adadelta")]
    [InlineData("--model", "--model", "cnn")]
    [InlineData("--iterations", "--epochs", "3", "--iterations", "10")]
    [InlineData("--init", "--init", "he")]
    public void Bad_training_options_give_one_line_and_exit_code_2(string mention, params string[] options)
    {
        var r = CliRunner.Run(_dir, ["train", "--dataset", "fashion-mnist", "--out", Path.Combine(_dir, "x.safetensors"), .. options]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Single(r.StderrLines);
        Assert.Contains(mention, r.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "x.safetensors")));
    }

    [Theory]
    [InlineData("deepscratch: error: --lr 1E-300 rounds to 0 in float32, the precision training uses (the smallest positive float32 is 1.4e-45): give a larger learning rate, such as 0.01.", "--lr", "1e-300")]
    [InlineData("deepscratch: error: --lr 1E+39 is beyond float32, the precision training uses (the largest is 3.4e+38): give a learning rate such as 0.01.", "--lr", "1e39")]
    [InlineData("deepscratch: error: --batch-size needs a whole number from 1 to 2147483647; got '99999999999' (see 'deepscratch train --help').", "--batch-size", "99999999999")]
    [InlineData("deepscratch: error: --iterations needs a whole number from 1 to 2147483647; got '99999999999' (see 'deepscratch train --help').", "--iterations", "99999999999")]
    [InlineData("deepscratch: error: --seed needs a whole number from -2147483648 to 2147483647; got '99999999999' (see 'deepscratch train --help').", "--seed", "99999999999")]
    public void Numbers_out_of_range_name_the_real_range(string expected, params string[] options)
    {
        var r = CliRunner.Run(_dir, ["train", "--dataset", "fashion-mnist", "--out", Path.Combine(_dir, "x.safetensors"), .. options]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(expected, Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Out_and_plot_naming_the_same_file_is_refused()
    {
        string same = Path.Combine(_dir, "same.bin");
        var r = CliRunner.Run(_dir, "train", "--iterations", "5", "--dataset", "fashion-mnist", "--out", same, "--plot", same);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("same file", r.Stderr);
        Assert.False(File.Exists(same));
    }

    [Fact]
    public void Convert_refuses_to_overwrite_its_input()
    {
        string copy = Path.Combine(_dir, "copy.pkl");
        File.Copy(TestData.Weights("sample_weight.pkl"), copy);
        var before = File.ReadAllBytes(copy);
        var r = CliRunner.Run(_dir, "convert", copy, copy);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("same file", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Convert_keeps_every_array_of_the_convnet_pickles()
    {
        string output = Path.Combine(_dir, "convnet.safetensors");
        var r = CliRunner.Run(_dir, "convert", TestData.Weights("params.pkl"), output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("6 arrays", r.Stdout);
        var i = CliRunner.Run(_dir, "inspect", output);
        Assert.Matches(new Regex(@"^W1\s+\(30, 1, 5, 5\)\s+F32\s", RegexOptions.Multiline), i.Stdout);
    }

    [Fact]
    public void A_diverging_run_stops_with_a_clear_message()
    {
        var r = CliRunner.Run(_dir, "train", "--lr", "1e30", "--iterations", "200", "--dataset", "fashion-mnist", "--out", Path.Combine(_dir, "nan.safetensors"));
        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("diverged", r.Stderr);
        Assert.Contains("--lr", r.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "nan.safetensors")));
    }

    [Theory]
    [InlineData("--lr 1000000", "--optimizer", "sgd", "--lr", "1e6", "--iterations", "100")]
    [InlineData("--lr 4", "--model", "multi-layer", "--optimizer", "momentum", "--lr", "4", "--activation", "sigmoid", "--batch-size", "1", "--iterations", "100")]
    [InlineData("--init 1000", "--init", "1000", "--iterations", "100")]
    public void A_run_that_diverges_with_a_finite_loss_exits_4_and_keeps_the_old_model(string advice, params string[] options)
    {
        // The cross-entropy's cap keeps these losses finite (16.118 at most); the old model must survive byte for byte.
        string model = Path.Combine(_dir, "good.safetensors");
        byte[] old = [.. "an earlier, good model"u8, 0, 1, 2, 255];
        File.WriteAllBytes(model, old);
        var r = CliRunner.Run(_dir, ["train", "--dataset", "fashion-mnist", "--seed", "0", "--out", model, .. options]);
        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Single(r.StderrLines);
        Assert.StartsWith("deepscratch: error: training diverged", r.Stderr);
        Assert.Contains(advice, r.Stderr);
        Assert.DoesNotContain("Saved", r.Stdout);
        Assert.Equal(old, File.ReadAllBytes(model));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.Equal([model], Directory.GetFiles(_dir));
    }

    [Fact]
    public void The_header_and_summary_print_the_values_the_run_uses()
    {
        string model = Path.Combine(_dir, "short.safetensors");
        string plot = Path.Combine(_dir, "short.png");
        var r = CliRunner.Run(_dir, "train", "--iterations", "200", "--dataset", "fashion-mnist", "--out", model, "--plot", plot);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // The book's defaults: SGD lr 0.01, weight_init_std 0.01, batch 100; 60,000 / 100 = 600 iterations per epoch.
        Assert.Contains(", sgd lr 0.01 (sgd default), init std 0.01 (two-layer default), batch 100, 200 iterations (0.33 epochs of 600), seed 0", r.Stdout);
        Assert.DoesNotContain("lr default", r.Stdout);
        Assert.Matches(new Regex(@"^epoch\s+1\s+iteration\s+200/200\s", RegexOptions.Multiline), r.Stdout);
        Assert.Single(Regex.Matches(r.Stdout, "^epoch ", RegexOptions.Multiline));
        Assert.Matches(new Regex(@"^Epoch time: \d+\.\d{3} s estimated from 200 iterations \(an epoch is 600\)", RegexOptions.Multiline), r.Stdout);
        Assert.True(File.Exists(plot));

        var adam = CliRunner.Run(_dir, "train", "--model", "multi-layer", "--hidden", "20", "--optimizer", "adam", "--batch-size", "20000",
            "--epochs", "2", "--dataset", "fashion-mnist", "--out", model);
        Assert.True(adam.ExitCode == 0, adam.Stderr);
        // 60,000 / 20,000 = 3 iterations per epoch, 2 epochs: 6 iterations, an accuracy line after iterations 3 and 6.
        Assert.Contains(", adam lr 0.001 (adam default), init he (multi-layer default), batch 20000, 2 epochs of 3 iterations (6 iterations), seed 0", adam.Stdout);
        Assert.Matches(new Regex(@"^epoch\s+1\s+iteration\s+3/6\s.*\n^epoch\s+2\s+iteration\s+6/6\s", RegexOptions.Multiline), adam.Stdout);
        Assert.Matches(new Regex(@"^Epoch time: \d+\.\d{3} s on average over 6 iterations, 3 per epoch", RegexOptions.Multiline), adam.Stdout);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task A_signal_during_training_prints_interrupted_saves_nothing_and_exits_128_plus_the_signal(string signal, int exitCode)
    {
        string model = Path.Combine(_dir, "keep.safetensors");
        byte[] old = [.. "an earlier, good model"u8];
        File.WriteAllBytes(model, old);
        var start = CliRunner.StartInfo(_dir, new Dictionary<string, string>(),
            "train", "--batch-size", "1000", "--epochs", "1000", "--dataset", "fashion-mnist", "--out", model);
        // A job started in the background by a non-interactive shell inherits SIGINT ignored (POSIX), and the runtime
        // keeps it ignored, as a background job should; CI may run us that way, so give the CLI the default action back.
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "--default-signal=INT");
        start.FileName = "env";
        using var process = Process.Start(start)!;
        // The run is 1000 epochs long: whatever happens, it must not outlive the test (nor hang CI).
        using var cleanup = new ProcessTreeKiller(process);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new StringBuilder();
        // Wait for the first progress output (the first epoch's line), then signal as a shell's Ctrl-C or kill would.
        using var firstEpoch = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync(firstEpoch.Token)) is not null)
        {
            stdout.AppendLine(line);
            if (line.StartsWith("epoch ", StringComparison.Ordinal))
            {
                break;
            }
        }

        if (line is null)
        {
            Assert.Fail($"no progress line; stdout: {stdout} stderr: {await stderr}");
        }

        using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        stdout.Append(await process.StandardOutput.ReadToEndAsync(timeout.Token)); // throws if the run did not stop
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(exitCode, process.ExitCode);
        Assert.Equal("interrupted: nothing saved (the file at --out is unchanged)", (await stderr).TrimEnd('\n'));
        Assert.DoesNotContain("Saved", stdout.ToString());
        Assert.Equal(old, File.ReadAllBytes(model));
        Assert.Equal([model], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Training_without_the_training_set_names_the_missing_files()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var r = CliRunner.Run(_dir, "train", "--data", empty, "--out", Path.Combine(_dir, "m.safetensors"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("train-images-idx3-ubyte.gz", r.Stderr);
        Assert.Contains("DEEPSCRATCH_DATA", r.Stderr);
    }

    /// <summary>Kills a started CLI process and its children when the test ends, passed or failed.</summary>
    private sealed class ProcessTreeKiller(Process process) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private static double ReadAccuracy(string stdout, string label)
    {
        var match = Regex.Match(stdout, $@"^{label}: (0\.\d{{4}})$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{label}: ' line in: {stdout}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
