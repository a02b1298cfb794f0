using System.Text.RegularExpressions;
using DeepScratch.Data;
using DeepScratch.Tests.Models;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// The pictures of chapters 7-8: <c>deepscratch misclassified</c> (misclassified_mnist.py) and <c>deepscratch
/// filters</c> (visualize_filter.py), checked through PNGs the tests decode themselves (<see cref="PngImage"/>).
/// </summary>
public sealed class PictureCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-pictures-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (byte[] Pixels, byte[] Labels) TestSet()
    {
        using var reader = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        var pixels = new byte[reader.Count * 784];
        var labels = new byte[reader.Count];
        reader.Read(pixels, labels);
        return (pixels, labels);
    }

    [Fact]
    public void Misclassified_lists_exactly_the_images_the_book_numpy_code_gets_wrong()
    {
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--count", "1000", "--out", Path.Combine(_dir, "all.png"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string output = r.Stdout.Replace("\r", "");

        // The oracle: the book's numpy predictions (bench/reference/book_eval.py) against the labels file.
        int[] numpy = BookReference.Predictions();
        var (_, labels) = TestSet();
        var expected = Enumerable.Range(0, labels.Length).Where(i => numpy[i] != labels[i]).Select(i => $"{i}: {labels[i]} -> {numpy[i]}").ToArray();
        Assert.Equal(648, expected.Length); // eval's 9352 / 10000

        Assert.Contains("Misclassified: 648 of 10000 (accuracy 0.9352)\n", output);
        var listed = Regex.Matches(output, @"^  (\d+: \d -> \d)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(expected, listed);
        Assert.Contains("Shown:    the first 648 (index: label -> predicted)", output);
    }

    [Fact]
    public void Misclassified_draws_the_first_n_digits_ink_dark_on_white_in_rows_of_five()
    {
        string png = Path.Combine(_dir, "gallery.png");
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--out", png);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var image = PngImage.Read(png);
        Assert.Contains($"Wrote {png} ({image.Width}x{image.Height} pixels)", r.Stdout);

        // Layout (MisclassifiedGallery): 12 px margins, cells 160 wide, the 28x28 digit scaled 4x centred in its
        // cell below a 34 px title; captions take 6 + 3 x 17 px. Default --count is the book's 20: 4 rows of 5.
        Assert.Equal(12 + 5 * (160 + 12), image.Width);
        Assert.Equal(34 + 12 + 4 * (112 + 6 + 51 + 12), image.Height);

        var (pixels, _) = TestSet();
        int[] firstWrong = [8, 33, 66, 92, 124, 149, 217, 233]; // from the book's numpy predictions (see the test above)
        for (int cell = 0; cell < firstWrong.Length; cell++)
        {
            int left = 12 + (cell % 5) * (160 + 12) + (160 - 112) / 2;
            int top = 34 + 12 + (cell / 5) * (112 + 6 + 51 + 12);
            for (int y = 0; y < 28; y++)
            {
                for (int x = 0; x < 28; x++)
                {
                    int ink = pixels[firstWrong[cell] * 784 + y * 28 + x];
                    var (red, green, blue) = image.Rgb(left + 4 * x + 2, top + 4 * y + 2);
                    Assert.True(red == 255 - ink && green == red && blue == red,
                        $"cell {cell} (image {firstWrong[cell]}) pixel ({x}, {y}): ink {ink} drawn as ({red}, {green}, {blue})");
                }
            }
        }
    }

    [Fact]
    public void Misclassified_with_count_3_draws_one_row_of_three()
    {
        string png = Path.Combine(_dir, "three.png");
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--count", "3", "--out", png);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var image = PngImage.Read(png);
        // Three cells wide, or wider when the title needs it (the picture never clips its title).
        Assert.InRange(image.Width, 12 + 3 * (160 + 12), 2000);
        Assert.Equal(34 + 12 + 112 + 6 + 51 + 12, image.Height);
        Assert.Equal(3, Regex.Matches(r.Stdout, @"^  \d+: \d -> \d\r?$", RegexOptions.Multiline).Count);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("-5")]
    public void Misclassified_count_out_of_range_is_a_usage_error(string count)
    {
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--count", count, "--out", Path.Combine(_dir, "x.png"));
        AssertOneLineError(r, 2, $"--count must be between 1 and 1000; got {count}.");
        Assert.False(File.Exists(Path.Combine(_dir, "x.png")));
    }

    [Fact]
    public void Misclassified_with_an_unknown_weights_file_names_it()
    {
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--weights", "nope.pkl", "--out", Path.Combine(_dir, "x.png"));
        AssertOneLineError(r, 3, "--weights: file not found: nope.pkl");
    }

    [Fact]
    public void Misclassified_into_a_missing_folder_fails_before_classifying()
    {
        string png = Path.Combine(_dir, "missing", "x.png");
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--out", png);
        AssertOneLineError(r, 3, $"--out: cannot write {png}: folder {Path.Combine(_dir, "missing")} does not exist.");
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Misclassified_refuses_to_overwrite_the_model_it_reads()
    {
        string model = Path.Combine(_dir, "model.pkl");
        File.Copy(TestData.Weights("sample_weight.pkl"), model);
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--weights", model, "--out", model);
        AssertOneLineError(r, 2, "--out");
        Assert.Equal(File.ReadAllBytes(TestData.Weights("sample_weight.pkl")), File.ReadAllBytes(model));
    }

    /// <summary>The first convolution's W of a book pickle, read with the pickle reader (not through the model).</summary>
    private static (float[] Values, int[] Shape) FirstFilters(string file)
    {
        var w1 = DeepScratch.Serialization.NumpyPickle.Load(TestData.Weights(file)).Single(a => a.Name == "W1");
        return (w1.Tensor.ToArray(), w1.Shape);
    }

    [Theory]
    [InlineData("params.pkl", "simple-cnn", 30, 5, 10, 4)]
    [InlineData("deep_convnet_params.pkl", "deep-cnn", 16, 3, 16, 2)]
    public void Filters_of_a_trained_network_saved_as_safetensors_draw_its_learned_weights(string pickle, string model, int count, int size, int scale, int rows)
    {
        // The book's trained arrays in a DeepScratch model file (what train and ModelFile.Save write: "model" in the metadata).
        var arrays = DeepScratch.Serialization.NumpyPickle.Load(TestData.Weights(pickle))
            .ToDictionary(a => a.Name, a => new WeightFiles.Array(a.Shape, a.Tensor.ToArray()));
        string file = WeightFiles.WriteSafeTensors(_dir, "trained.safetensors", arrays, new Dictionary<string, string> { ["model"] = model, ["format"] = "deepscratch/1" });
        string png = Path.Combine(_dir, "trained.png");

        var r = CliRunner.Run(_dir, "filters", "--weights", file, "--out", png);

        var (values, shape) = FirstFilters(pickle);
        Assert.Equal([count, 1, size, size], shape);
        AssertFilterGrid(r, png, values, count, size, scale, rows);
    }

    [Theory]
    [InlineData("simple-cnn", 0, 30, 5, 10, 4)] // SimpleConvNet: 30 filters 5x5, 10 px a weight, 4 rows of 8
    [InlineData("deep-cnn", 1, 16, 3, 16, 2)]   // DeepConvNet: 16 filters 3x3, 16 px a weight (48 px a filter), 2 rows
    public void Filters_of_an_untrained_network_draw_its_initial_weights(string model, int seed, int count, int size, int scale, int rows)
    {
        string png = Path.Combine(_dir, "untrained.png");
        var r = CliRunner.Run(_dir, "filters", "--model", model, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", png);
        var network = DeepScratch.Models.NetworkFactory.Create(new Dictionary<string, string> { ["model"] = model }, seed);
        var w1 = network.Parameters.Single(p => p.Name == "W1").Value;
        Assert.Equal([count, 1, size, size], w1.Shape.ToArray());
        AssertFilterGrid(r, png, w1.ToArray(), count, size, scale, rows);
        Assert.Contains($"untrained {model}", r.Stdout);
    }

    [Fact]
    public void Filters_of_an_untrained_network_follow_the_seed()
    {
        string[] files = ["a.png", "b.png", "c.png"];
        string[] seeds = ["5", "5", "6"];
        for (int i = 0; i < 3; i++)
        {
            var r = CliRunner.Run(_dir, "filters", "--model", "simple-cnn", "--seed", seeds[i], "--out", Path.Combine(_dir, files[i]));
            Assert.True(r.ExitCode == 0, r.Stderr);
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "a.png")), File.ReadAllBytes(Path.Combine(_dir, "b.png")));
        Assert.NotEqual(PngImage.Read(Path.Combine(_dir, "a.png")).Pixels, PngImage.Read(Path.Combine(_dir, "c.png")).Pixels);
    }

    [Theory]
    [InlineData("--seed", "3", "--weights", "x.pkl", "--seed needs --model without --weights")]
    [InlineData("--model", "lenet", "--seed", "0", "--model must be one of three-layer, simple-cnn, deep-cnn; got 'lenet'")]
    [InlineData("--model", "three-layer", "--seed", "0", "--model three-layer has no convolution layer: filters draws a convolutional network's first filters (simple-cnn or deep-cnn).")]
    public void Filters_options_that_do_not_go_together_are_usage_errors(string o1, string v1, string o2, string v2, string message)
    {
        var r = CliRunner.Run(_dir, "filters", o1, v1, o2, v2, "--out", Path.Combine(_dir, "f.png"));
        AssertOneLineError(r, 2, message);
    }

    /// <summary>
    /// Checks a filters PNG against the filters' own values: eight a row, 4 px blue gaps, each weight a square of
    /// <paramref name="scale"/> px whose grey is its filter's min-max scaling to 0-255 (smallest black, largest white).
    /// </summary>
    private static void AssertFilterGrid(CliResult r, string png, float[] values, int count, int size, int scale, int rows)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        var image = PngImage.Read(png);
        int cell = size * scale;
        Assert.Equal((4 + 8 * (cell + 4), 4 + rows * (cell + 4)), (image.Width, image.Height));
        Assert.Contains($"Wrote {png} ({image.Width}x{image.Height} pixels)", r.Stdout);
        Assert.Contains($"W1 ({count}, 1, {size}, {size}): {count} filters of {size}x{size}", r.Stdout);

        for (int f = 0; f < count; f++)
        {
            var w = values.AsSpan(f * size * size, size * size).ToArray();
            double min = w.Min(), max = w.Max();
            int left = 4 + (f % 8) * (cell + 4), top = 4 + (f / 8) * (cell + 4);
            int brightest = -1, brightestGrey = -1;
            for (int i = 0; i < w.Length; i++)
            {
                int x = i % size, y = i / size;
                var (red, green, blue) = image.Rgb(left + x * scale + scale / 2, top + y * scale + scale / 2);
                Assert.True(red == green && green == blue, $"filter {f} weight {i} is not grey: ({red}, {green}, {blue})");
                double expected = (w[i] - min) / (max - min) * 255;
                Assert.True(Math.Abs(red - expected) <= 0.51, $"filter {f} weight {i} = {w[i]}: grey {red}, expected {expected:F2}");
                // Every pixel of the weight's square has its grey.
                Assert.Equal(red, image.Rgb(left + x * scale, top + y * scale).R);
                Assert.Equal(red, image.Rgb(left + x * scale + scale - 1, top + y * scale + scale - 1).R);
                if (red > brightestGrey)
                {
                    (brightest, brightestGrey) = (i, red);
                }
            }

            // The brightest square (white) is the largest weight's, the darkest (black) the smallest's; another weight
            // within half a grey level of the largest may be white too, so the test looks from the weight to the square.
            byte Grey(int i) => image.Rgb(left + (i % size) * scale, top + (i / size) * scale).R;
            Assert.Equal(255, brightestGrey);
            Assert.Equal(255, Grey(Array.IndexOf(w, w.Max())));
            Assert.Equal(0, Grey(Array.IndexOf(w, w.Min())));
            Assert.True(w[brightest] >= max - (max - min) / 255, $"filter {f}: the first white square holds {w[brightest]}, far from the largest weight {max}");
            // The gap beside the filter is the grid's blue.
            Assert.Equal(((byte)176, (byte)196, (byte)222), image.Rgb(left - 1, top + 1));
        }
    }

    [Theory]
    [InlineData("params.pkl", null, 30, 5, 10, 4)]
    [InlineData("deep_convnet_params.pkl", null, 16, 3, 16, 2)]
    [InlineData("params.pkl", "simple-cnn", 30, 5, 10, 4)]
    public void Filters_of_the_book_pickles_draw_their_learned_weights(string pickle, string? force, int count, int size, int scale, int rows)
    {
        string png = Path.Combine(_dir, "book.png");
        string[] args = ["filters", "--weights", TestData.Weights(pickle), "--out", png];
        var r = CliRunner.Run(_dir, force is null ? args : [.. args, "--model", force]);
        var (values, shape) = FirstFilters(pickle);
        Assert.Equal([count, 1, size, size], shape);
        AssertFilterGrid(r, png, values, count, size, scale, rows);
    }

    [Fact]
    public void Filters_with_the_wrong_forced_model_names_the_array()
    {
        var r = CliRunner.Run(_dir, "filters", "--weights", TestData.Weights("params.pkl"), "--model", "deep-cnn", "--out", Path.Combine(_dir, "f.png"));
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("deepscratch: error: ", Assert.Single(r.StderrLines));
        Assert.False(File.Exists(Path.Combine(_dir, "f.png")));
    }

    [Fact]
    public void Misclassified_of_the_book_simple_convnet_counts_its_400_mistakes()
    {
        string png = Path.Combine(_dir, "cnn.png");
        var r = CliRunner.Run(_dir, "misclassified", "--data", TestData.Dir, "--weights", TestData.Weights("params.pkl"), "--count", "5", "--out", png);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // eval's 9600 / 10000 (the book's figure for params.pkl).
        Assert.Contains("Misclassified: 400 of 10000 (accuracy 0.9600)", r.Stdout);
        Assert.Equal(5, Regex.Matches(r.Stdout, @"^  \d+: \d -> \d\r?$", RegexOptions.Multiline).Count);
        Assert.True(PngImage.Read(png).Width > 0);
    }

    [Fact]
    public void Filters_of_a_network_without_a_convolution_is_one_line()
    {
        var r = CliRunner.Run(_dir, "filters", "--weights", TestData.Weights("sample_weight.pkl"), "--out", Path.Combine(_dir, "f.png"));
        AssertOneLineError(r, 2, "holds a network without a convolution layer (784-50-100-10, sigmoid, sigmoid, softmax): filters draws a convolutional network's first filters");
        Assert.False(File.Exists(Path.Combine(_dir, "f.png")));
    }

    [Fact]
    public void Filters_with_an_unknown_file_names_it()
    {
        var r = CliRunner.Run(_dir, "filters", "--weights", "nope.pkl", "--out", Path.Combine(_dir, "f.png"));
        AssertOneLineError(r, 3, "--weights: file not found: nope.pkl");
    }

    [Fact]
    public void Filters_into_a_missing_folder_fails_before_loading()
    {
        string png = Path.Combine(_dir, "missing", "f.png");
        var r = CliRunner.Run(_dir, "filters", "--weights", TestData.Weights("params.pkl"), "--out", png);
        AssertOneLineError(r, 3, $"--out: cannot write {png}: folder {Path.Combine(_dir, "missing")} does not exist.");
    }

    [Fact]
    public void Filters_without_weights_or_model_is_a_usage_error()
    {
        var r = CliRunner.Run(_dir, "filters", "--out", Path.Combine(_dir, "f.png"));
        AssertOneLineError(r, 2, "filters needs");
    }

    internal static void AssertOneLineError(CliResult r, int exitCode, string mention)
    {
        Assert.True(exitCode == r.ExitCode, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        Assert.StartsWith("deepscratch: error: ", Assert.Single(r.StderrLines));
        Assert.Contains(mention, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
