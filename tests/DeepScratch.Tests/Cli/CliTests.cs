using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Cli;

/// <summary>End-to-end tests of the <c>deepscratch</c> command, on the real data.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Eval_prints_the_book_accuracy_in_a_line_scripts_can_read()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(new Regex(@"^Accuracy: 0\.9352$", RegexOptions.Multiline), r.Stdout.Replace("\r", ""));
        Assert.Contains("images/s", r.Stdout);
        Assert.Contains("9352 / 10000", r.Stdout);
    }

    [Theory]
    [InlineData("--per-image")]
    [InlineData("--batch-size", "10000")]
    [InlineData("--batch-size", "1")]
    public void Eval_gets_the_same_accuracy_per_image_and_in_any_batch_size(params string[] options)
    {
        var r = CliRunner.Run(_dir, ["eval", "--data", TestData.Dir, .. options]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Accuracy: 0.9352", r.Stdout);
    }

    [Fact]
    public void Eval_accepts_an_explicit_weights_file()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", TestData.Weights("sample_weight.pkl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Accuracy: 0.9352", r.Stdout);
    }

    [Fact]
    public void Eval_writes_a_predictions_csv_that_agrees_with_numpy_image_by_image()
    {
        string csv = Path.Combine(_dir, "predictions.csv");
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--predictions", csv);
        Assert.True(r.ExitCode == 0, r.Stderr);

        var lines = File.ReadAllLines(csv);
        Assert.Equal("index,label,predicted,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines[0]);
        Assert.Equal(10001, lines.Length);
        int[] numpy = Models.BookReference.Predictions();
        int correct = 0;
        for (int i = 0; i < 10000; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.Equal(13, cells.Length);
            Assert.Equal(i.ToString(), cells[0]);
            Assert.True(numpy[i] == int.Parse(cells[2]), $"image {i}: numpy predicts {numpy[i]}, the CSV {cells[2]}");
            correct += cells[1] == cells[2] ? 1 : 0;
            double sum = cells.Skip(3).Sum(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture));
            Assert.InRange(sum, 0.9999, 1.0001);
        }

        Assert.Equal(9352, correct);
        var first = lines[1].Split(',').Skip(3).Select(c => float.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Models.BookReference.FirstImageProbabilities[7], first[7], 1e-5f);
    }

    [Fact]
    public void Eval_with_batch_size_zero_fails_with_one_line_and_no_stack_trace()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--batch-size", "0");
        AssertOneLineError(r, 2, "--batch-size");
    }

    [Fact]
    public void Eval_with_a_missing_weights_file_names_it()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", "nope.pkl");
        AssertOneLineError(r, 3, "nope.pkl");
    }

    [Fact]
    public void Eval_without_data_offline_names_the_missing_files_and_DEEPSCRATCH_DATA()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var r = CliRunner.Run(_dir, "eval", "--data", empty, "--weights", TestData.Weights("sample_weight.pkl"));
        AssertOneLineError(r, 3, "t10k-images-idx3-ubyte.gz");
        Assert.Contains("t10k-labels-idx1-ubyte.gz", r.Stderr);
        Assert.Contains("DEEPSCRATCH_DATA", r.Stderr);
    }

    [Fact]
    public void Eval_without_weights_offline_names_the_missing_weights_file()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "mnist"));
        foreach (string f in Directory.GetFiles(Path.Combine(TestData.Dir, "mnist")))
        {
            File.Copy(f, Path.Combine(data, "mnist", Path.GetFileName(f)));
        }

        var r = CliRunner.Run(_dir, "eval", "--data", data);
        AssertOneLineError(r, 3, "sample_weight.pkl");
    }

    [Fact]
    public void Eval_of_a_file_that_is_not_a_pickle_fails_with_one_line()
    {
        string bogus = Path.Combine(_dir, "bogus.pkl");
        File.WriteAllText(bogus, "this is not a pickle");
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", bogus);
        AssertOneLineError(r, 3, "bogus.pkl");
    }

    [Fact]
    public void Eval_of_a_truncated_image_file_fails_with_one_line()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "mnist"));
        File.Copy(Path.Combine(TestData.Dir, "mnist", "t10k-labels-idx1-ubyte.gz"), Path.Combine(data, "mnist", "t10k-labels-idx1-ubyte.gz"));
        var header = new byte[16 + 100];
        BinaryPrimitives.WriteInt32BigEndian(header, 2051);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 10000);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 28);
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-images-idx3-ubyte"), header);
        var r = CliRunner.Run(_dir, "eval", "--data", data, "--weights", TestData.Weights("sample_weight.pkl"));
        AssertOneLineError(r, 3, "t10k-images-idx3-ubyte");
    }

    [Fact]
    public void Eval_refuses_a_predictions_path_in_a_missing_folder_before_working()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--predictions", Path.Combine(_dir, "no", "such", "p.csv"));
        AssertOneLineError(r, 3, "does not exist");
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("eval", "--predictions", "{dir}")]
    [InlineData("show", "0", "--out", "{dir}")]
    [InlineData("show", "0", "--out", "/proc/no-such-place.png")]
    public void Unwritable_outputs_are_refused_before_any_work(params string[] args)
    {
        string[] resolved = args.Select(a => a.Replace("{dir}", _dir)).ToArray();
        var r = CliRunner.Run(_dir, [.. resolved, "--data", TestData.Dir]);
        AssertOneLineError(r, 3, "cannot write");
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("--predictions", "eval", "--predictions", "")]
    [InlineData("--out", "show", "0", "--out", " ")]
    [InlineData("--weights", "predict", "0", "--weights", "")]
    public void Empty_file_names_are_usage_mistakes(string mention, params string[] args)
    {
        var r = CliRunner.Run(_dir, [.. args, "--data", TestData.Dir]);
        AssertOneLineError(r, 2, mention);
    }

    [Fact]
    public void An_empty_data_folder_name_is_a_usage_mistake()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", "");
        AssertOneLineError(r, 2, "--data");
    }

    [Fact]
    public void A_data_folder_that_is_a_file_is_named_as_such()
    {
        string file = Path.Combine(_dir, "not-a-folder");
        File.WriteAllText(file, "x");
        var r = CliRunner.Run(_dir, "eval", "--data", file);
        AssertOneLineError(r, 3, "is a file, not a folder");
    }

    [Fact]
    public void Predict_on_images_of_the_wrong_size_names_the_mismatch()
    {
        string data = WriteTestSetOfTwoByTwoImages();
        var r = CliRunner.Run(_dir, "predict", "0", "--data", data, "--weights", TestData.Weights("sample_weight.pkl"));
        AssertOneLineError(r, 3, "784 inputs but the images have 4 pixels");
    }

    [Fact]
    public void Eval_on_images_of_the_wrong_size_names_the_mismatch_and_writes_nothing()
    {
        string data = WriteTestSetOfTwoByTwoImages();
        string csv = Path.Combine(_dir, "p.csv");
        var r = CliRunner.Run(_dir, "eval", "--data", data, "--weights", TestData.Weights("sample_weight.pkl"), "--predictions", csv);
        AssertOneLineError(r, 3, "784 inputs but the images of");
        Assert.Contains("have 4 pixels (2x2)", r.Stderr);
        Assert.False(File.Exists(csv));
    }

    [Fact]
    public void Debug_mode_adds_the_exception_with_its_origin()
    {
        string bogus = Path.Combine(_dir, "bogus.pkl");
        File.WriteAllText(bogus, "not a pickle");
        var r = CliRunner.Run(_dir, new Dictionary<string, string> { ["DEEPSCRATCH_DEBUG"] = "1" }, "inspect", bogus);
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("deepscratch: error: ", r.StderrLines[0]);
        Assert.Contains("InvalidDataException", r.Stderr);
        Assert.Contains("PickleReader", r.Stderr);
    }

    [Fact]
    public void Show_prints_label_shapes_and_digit_and_writes_an_enlarged_png()
    {
        string png = Path.Combine(_dir, "seven.png");
        var r = CliRunner.Run(_dir, "show", "0", "--data", TestData.Dir, "--out", png);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Label: 7", r.Stdout);
        Assert.Contains("(784,)", r.Stdout);
        Assert.Contains("(28, 28)", r.Stdout);
        Assert.True(r.Stdout.IndexOf("(784,)", StringComparison.Ordinal) < r.Stdout.IndexOf("(28, 28)", StringComparison.Ordinal));
        Assert.Contains("█", r.Stdout);

        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.Equal(280, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(280, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public void Show_writes_digit_INDEX_png_by_default()
    {
        var r = CliRunner.Run(_dir, "show", "1", "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Label: 2", r.Stdout);
        Assert.True(File.Exists(Path.Combine(_dir, "digit-1.png")));
    }

    [Fact]
    public void Show_of_an_index_past_the_end_gives_the_valid_range()
    {
        var r = CliRunner.Run(_dir, "show", "10000", "--data", TestData.Dir);
        AssertOneLineError(r, 2, "0 to 9999");
    }

    [Fact]
    public void Predict_shows_ten_bars_and_the_prediction_against_the_label()
    {
        var r = CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var bars = r.Stdout.Split('\n').Where(l => l.Contains('│')).ToArray();
        Assert.Equal(10, bars.Length);
        Assert.Contains("0.9971", bars[7]); // numpy: 0.997065
        Assert.Contains("<- predicted", bars[7]);
        Assert.Contains("Predicted: 7", r.Stdout);
        Assert.Contains("label: 7", r.Stdout);
        Assert.Contains("correct", r.Stdout);
    }

    [Fact]
    public void Predict_reports_a_wrong_prediction_as_wrong()
    {
        // Test image 8 is a 5 that the book's network reads as a 6 (numpy agrees: see book-predictions.txt).
        int[] numpy = Models.BookReference.Predictions();
        Assert.Equal(6, numpy[8]);
        var r = CliRunner.Run(_dir, "predict", "8", "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Predicted: 6", r.Stdout);
        Assert.Contains("label: 5", r.Stdout);
        Assert.Contains("wrong", r.Stdout);
    }

    [Fact]
    public void Inspect_lists_every_array_with_shape_dtype_and_order()
    {
        var r = CliRunner.Run(_dir, "inspect", TestData.Weights("sample_weight.pkl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(new Regex(@"^W1\s+\(784, 50\)\s+<f4\s+F\s", RegexOptions.Multiline), r.Stdout);
        Assert.Matches(new Regex(@"^b1\s+\(50,\)\s+<f4\s+C\s", RegexOptions.Multiline), r.Stdout);
        Assert.Matches(new Regex(@"^W3\s+\(100, 10\)\s+<f4\s+F\s", RegexOptions.Multiline), r.Stdout);
        Assert.Contains("6 arrays", r.Stdout);
    }

    [Fact]
    public void Inspect_shows_float64_convnet_params()
    {
        var r = CliRunner.Run(_dir, "inspect", TestData.Weights("params.pkl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(new Regex(@"^W1\s+\(30, 1, 5, 5\)\s+<f8\s+C\s", RegexOptions.Multiline), r.Stdout);
    }

    [Fact]
    public void Inspect_refuses_a_pickle_that_would_run_code()
    {
        // GLOBAL 'os system', then the argument tuple and REDUCE: what a malicious pickle looks like.
        string evil = Path.Combine(_dir, "evil.pkl");
        File.WriteAllBytes(evil, [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'X', 4, 0, 0, 0, .. "echo"u8, 0x85, 0x52, 0x2e]);
        var r = CliRunner.Run(_dir, "inspect", evil);
        AssertOneLineError(r, 3, "os.system");
    }

    [Fact]
    public void Gates_prints_the_four_truth_tables()
    {
        var r = CliRunner.Run(_dir, "gates");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string text = r.Stdout.Replace("\r", "");
        foreach (string gate in new[] { "AND", "NAND", "OR", "XOR" })
        {
            Assert.Matches(new Regex($"^{gate}", RegexOptions.Multiline), text);
        }

        var xor = text[text.IndexOf("XOR", StringComparison.Ordinal)..];
        Assert.Contains("0  0 | 0", xor);
        Assert.Contains("1  0 | 1", xor);
        Assert.Contains("0  1 | 1", xor);
        Assert.Contains("1  1 | 0", xor);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("eval", "--no-such-option")]
    [InlineData("show", "seven")]
    [InlineData("eval", "--dataset", "cifar")]
    public void Usage_mistakes_give_one_line_and_exit_code_2(params string[] args)
    {
        var r = CliRunner.Run(_dir, args);
        AssertOneLineError(r, 2, "--help");
    }

    [Fact]
    public void Help_lists_every_command()
    {
        var r = CliRunner.Run(_dir, "--help");
        Assert.Equal(0, r.ExitCode);

        // Each command as the first word of a line of the Commands section, not merely somewhere in the text; the
        // list is the README's command table, so a command missing from either the help or the table fails.
        var table = DeepScratch.Tests.Docs.Readme.CommandTable();
        Assert.Equal(["convert", "eval", "export", "filters", "gates", "inspect", "misclassified", "predict", "serve", "show", "train"], table.Order());
        foreach (string command in table)
        {
            Assert.Matches(new Regex($@"^  {command}\b", RegexOptions.Multiline), r.Stdout.Replace("\r", ""));
        }
    }

    /// <summary>A data folder whose MNIST test set holds two 2x2 images (raw IDX), for size-mismatch cases.</summary>
    private string WriteTestSetOfTwoByTwoImages()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "mnist"));
        var images = new byte[16 + 2 * 4];
        BinaryPrimitives.WriteInt32BigEndian(images, 2051);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 2);
        var labels = new byte[8 + 2];
        BinaryPrimitives.WriteInt32BigEndian(labels, 2049);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), 2);
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-labels-idx1-ubyte"), labels);
        return data;
    }

    private static void AssertOneLineError(CliResult r, int exitCode, string mention)
    {
        Assert.True(exitCode == r.ExitCode, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        Assert.Single(r.StderrLines);
        Assert.StartsWith("deepscratch: error: ", r.StderrLines[0]);
        Assert.Contains(mention, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
