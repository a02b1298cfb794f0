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
