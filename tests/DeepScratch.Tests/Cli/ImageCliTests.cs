using System.Globalization;
using DeepScratch.Tests.Images;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// <c>deepscratch predict --image</c> run as a process on digits the tests draw: the prediction with each of the book's
/// networks, the default model (the most accurate one in the data folder), --show-input's PNG, and one-line errors
/// with exit 3 for missing, unreadable and empty images and exit 2 for contradictory options.
/// </summary>
public sealed class ImageCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-image-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A dark "1" on white paper, off-centre on a 300x240 canvas.</summary>
    private string One() => Write("one.png", new Canvas(300, 240, 250).Stroke(15, 9, (190, 50), (210, 30), (210, 210)).ToPng());

    private static void AssertOneLine(CliResult r, int exitCode, string line)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal([$"deepscratch: error: {line}"], r.StderrLines);
    }

    /// <summary>The ten probabilities of the bar chart (the number after the bar on each class line).</summary>
    private static double[] Probabilities(string stdout) =>
    [
        .. stdout.Split('\n').Where(l => l.Contains('│')).Select(l => double.Parse(l.Split('│')[2].Trim().Split(' ')[0], CultureInfo.InvariantCulture)),
    ];

    [Theory]
    [InlineData(null, "deep_convnet_params.pkl")]
    [InlineData("deep_convnet_params.pkl", "deep_convnet_params.pkl")]
    [InlineData("params.pkl", "params.pkl")]
    [InlineData("sample_weight.pkl", "sample_weight.pkl")]
    public void Predict_image_reads_a_drawn_one_with_every_book_network(string? weights, string used)
    {
        string[] args = ["predict", "--image", One(), "--data", TestData.Dir, .. weights is null ? System.Array.Empty<string>() : ["--weights", TestData.Weights(weights)]];
        var r = CliRunner.Run(_dir, args);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stderr);
        Assert.Contains($"Image one.png (300x240, dark ink on light, inverted, ink threshold ", r.Stdout);
        Assert.Contains($"network {used}", r.Stdout);
        Assert.Contains("Predicted: 1 (probability ", r.Stdout);
        var p = Probabilities(r.Stdout);
        Assert.Equal(10, p.Length);
        Assert.Equal(1.0, p.Sum(), 2);
        Assert.Equal(1, Array.IndexOf(p, p.Max()));
    }

    [Fact]
    public void The_default_model_is_the_most_accurate_book_network_in_the_data_folder()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "weights"));
        File.CreateSymbolicLink(Path.Combine(data, "weights", "params.pkl"), TestData.Weights("params.pkl"));
        File.CreateSymbolicLink(Path.Combine(data, "weights", "sample_weight.pkl"), TestData.Weights("sample_weight.pkl"));

        var r = CliRunner.Run(_dir, "predict", "--image", One(), "--data", data);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("network params.pkl", r.Stdout);
    }

    [DeepScratch.Tests.Data.FashionMnistFact]
    public void A_saved_fashion_model_names_its_classes_for_an_image()
    {
        string model = Path.Combine(_dir, "fashion.safetensors");
        var t = CliRunner.Run(_dir, "train", "--model", "two-layer", "--iterations", "5", "--dataset", "fashion-mnist", "--eval-sample", "100", "--out", model);
        Assert.True(t.ExitCode == 0, t.Stderr);

        var r = CliRunner.Run(_dir, "predict", "--image", One(), "--weights", model);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("network fashion.safetensors", r.Stdout);
        Assert.Contains("  9 Ankle boot  │", r.Stdout);
        Assert.Matches(@"Predicted: \d [A-Z][a-z/-]+( [a-z]+)? \(probability", r.Stdout);
        Assert.Equal(1.0, Probabilities(r.Stdout).Sum(), 2);
    }

    [Fact]
    public void Show_input_writes_the_28x28_input_enlarged_with_the_ink_centred()
    {
        string png = Path.Combine(_dir, "seen.png");
        var r = CliRunner.Run(_dir, "predict", "--image", One(), "--data", TestData.Dir, "--show-input", png);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Wrote {png} (the 28x28 input, 280x280 pixels)", r.Stdout);
        var image = PngImage.Read(png);
        Assert.Equal((280, 280, 1), (image.Width, image.Height, image.Channels));

        // Light ink on black, each input pixel a 10x10 block; the ink 20 pixels tall, its centre of mass at (14, 14).
        double mass = 0, mx = 0, my = 0;
        int top = 28, bottom = -1;
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                byte v = image.Pixels[(y * 10 * 280) + (x * 10)];
                Assert.Equal(v, image.Pixels[(((y * 10) + 9) * 280) + (x * 10) + 9]);
                if (v > 0)
                {
                    (top, bottom) = (Math.Min(top, y), Math.Max(bottom, y));
                }

                mass += v;
                mx += v * (x + 0.5);
                my += v * (y + 0.5);
            }
        }

        Assert.Equal(20, bottom - top + 1);
        Assert.InRange(mx / mass, 13.4, 14.6); // half a pixel, and the rounding to 8 bits
        Assert.InRange(my / mass, 13.4, 14.6);
        Assert.Equal(0, image.Pixels[0]);
    }

    [Fact]
    public void Missing_unreadable_and_empty_images_give_one_line_and_exit_3()
    {
        string missing = Path.Combine(_dir, "missing.png");
        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", missing, "--data", TestData.Dir), 3, $"--image: file not found: {missing}");

        string garbage = Write("garbage.png", "this is not a picture"u8.ToArray());
        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", garbage, "--data", TestData.Dir), 3,
            $"{garbage}: not an image this program can read (PNG, JPEG or BMP expected; the decoder says: unknown image type).");

        string blank = Write("blank.png", new Canvas(64, 64, 255).ToPng());
        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", blank, "--data", TestData.Dir), 3,
            $"{blank}: no ink found (the image is one shade, or its darkest and lightest parts differ by less than 48 of 255 grey levels).");

        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", _dir, "--data", TestData.Dir), 3, $"--image: {_dir} is a folder, not a file.");

        // The image is read before the model is looked for: no download is attempted for an image that cannot be read.
        string empty = Path.Combine(_dir, "empty-data");
        Directory.CreateDirectory(empty);
        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", garbage, "--data", empty), 3,
            $"{garbage}: not an image this program can read (PNG, JPEG or BMP expected; the decoder says: unknown image type).");
    }

    [Theory]
    [InlineData(784, 7, "takes 784 inputs and gives 7 classes")]
    [InlineData(100, 10, "takes 100 inputs and gives 10 classes")]
    public void A_network_that_is_not_a_28x28_digit_classifier_is_refused_as_serve_refuses_it(int inputs, int classes, string what)
    {
        string model = Path.Combine(_dir, "other.safetensors");
        DeepScratch.Models.ModelFile.Save(model, new DeepScratch.Models.MultiLayerNet(inputs, [20], classes));
        var r = CliRunner.Run(_dir, "predict", "--image", One(), "--weights", model);
        AssertOneLine(r, 3, $"{model}: predict --image needs a network of 28x28 inputs (784) and 10 classes; this one {what}.");
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Contradictory_options_are_usage_mistakes()
    {
        string one = One();
        AssertOneLine(CliRunner.Run(_dir, "predict", "3", "--image", one, "--data", TestData.Dir), 2, "give an INDEX or --image FILE, not both.");
        AssertOneLine(CliRunner.Run(_dir, "predict", "--data", TestData.Dir), 2,
            "missing INDEX for 'predict' (the image's number in the set, from 0), or --image FILE for your own image (see 'deepscratch predict --help').");
        AssertOneLine(CliRunner.Run(_dir, "predict", "3", "--show-input", Path.Combine(_dir, "x.png"), "--data", TestData.Dir), 2, "--show-input needs --image FILE.");
        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", one, "--set", "train", "--data", TestData.Dir), 2, "--set and --dataset choose a test-set image; they do not apply to --image.");
        AssertOneLine(CliRunner.Run(_dir, "predict", "--image", one, "--show-input", one, "--data", TestData.Dir), 2,
            $"--show-input {one} is the same file as --image ({one}), which this command reads: writing would overwrite it; give another file name.");
    }
}
