using System.IO.Compression;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Review findings on model files: a network known only by its layers copies for --half; a description's input must
/// be (N) or (C, H, W); metadata cannot set a layer of more than 2^24 values per example (layers or flat keys); a batch
/// of a very wide network is scored in pieces; filters draws at most 256 filters and refuses a picture too large;
/// --model naming a file's own model is accepted. Each through the built CLI, its exit code and exact line.
/// </summary>
public sealed class ModelFileLimitsCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-limits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A data folder of <paramref name="count"/> 28x28 noise images labelled i % 10 (so exactly the i with i % 10 == c are class c).</summary>
    private string SmallData(int count)
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "mnist"));
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-images-idx3-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Images(count, 28, 28, IdxFiles.Noise(count * 784, 5)), CompressionLevel.Fastest));
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-labels-idx1-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Labels(count, labels), CompressionLevel.Fastest));
        return data;
    }

    private string Write(string name, string metadataKey, string metadataValue, params (string Name, Tensor Value)[] tensors)
    {
        string path = Path.Combine(_dir, name);
        SafeTensors.Save(path, tensors.Select(t => KeyValuePair.Create(t.Name, t.Value)), new Dictionary<string, string> { [metadataKey] = metadataValue });
        return path;
    }

    /// <summary>A bias that makes every example class <paramref name="cls"/> when the weights before it are zero.</summary>
    private static Tensor OneHot(int classes, int cls)
    {
        var b = Tensor.Zeros(classes);
        b.Span[cls] = 1f;
        return b;
    }

    [Fact]
    public void Half_copies_a_network_known_only_by_its_layers()
    {
        // W1 = 0, b1 one-hot at 3: every image is class 3, and 2 of the 20 labels (3, 13) are 3.
        string model = Write("seq.safetensors", NetworkDescription.MetadataKey, "input=784; affine 10", ("W1", Tensor.Zeros(784, 10)), ("b1", OneHot(10, 3)));
        var r = CliRunner.Run(_dir, "eval", "--data", SmallData(20), "--weights", model, "--half");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Correct:  2 / 20\n", r.Stdout.Replace("\r", ""));
    }

    [Fact]
    public void A_description_whose_input_is_neither_features_nor_images_is_refused_when_read()
    {
        string model = Write("dims.safetensors", NetworkDescription.MetadataKey, "input=28x28; affine 10", ("W1", Tensor.Zeros(784, 10)), ("b1", Tensor.Zeros(10)));
        var r = CliRunner.Run(_dir, "eval", "--data", SmallData(2), "--weights", model);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal(
            $"deepscratch: error: {model}: its metadata does not describe a network DeepScratch can build (the network description part \"input=28x28\" is not valid: the input is one example's features (N) or images (C, H, W), e.g. input=784 or input=1x28x28)",
            Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Metadata_cannot_set_a_layer_of_more_than_2_to_the_24_values_per_example()
    {
        // ~200 bytes of tensors; the input alone would be 1.6e9 floats (6.4 GB) if the loader built and ran it.
        string described = Write("huge.safetensors", NetworkDescription.MetadataKey, "input=1x40000x40000; pool 40000x40000; affine 10",
            ("W1", Tensor.Zeros(1, 10)), ("b1", Tensor.Zeros(10)));
        string data = SmallData(2);
        var r = CliRunner.Run(_dir, "eval", "--data", data, "--weights", described);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal(
            $"deepscratch: error: {described}: its metadata does not describe a network DeepScratch can build (the network description \"input=1x40000x40000; pool 40000x40000 stride 1; affine 10\" does not form a network: the input gives 1600000000 values per example (1x40000x40000), more than the 16777216 (2^24) a layer may hold)",
            Assert.Single(r.StderrLines));

        // A later layer too: 1x4000x4000 (16e6 values) fits, 2 filters of it (32e6) do not.
        string wide = Write("wide.safetensors", NetworkDescription.MetadataKey, "input=1x4000x4000; conv 2 1x1 stride 1 pad 0; pool 4000x4000 stride 4000; affine 10",
            ("W1", Tensor.Zeros(2, 1, 1, 1)), ("b1", Tensor.Zeros(2)), ("W2", Tensor.Zeros(2, 10)), ("b2", Tensor.Zeros(10)));
        r = CliRunner.Run(_dir, "eval", "--data", data, "--weights", wide);
        Assert.Equal(3, r.ExitCode);
        Assert.EndsWith("\"conv 2 1x1 stride 1 pad 0\" gives 32000000 values per example (2x4000x4000), more than the 16777216 (2^24) a layer may hold)", Assert.Single(r.StderrLines));

        // The flat keys of the book's simple CNN go through the same limit.
        string path = Path.Combine(_dir, "flat.safetensors");
        SafeTensors.Save(path,
            new Dictionary<string, Tensor>
            {
                ["W1"] = Tensor.Zeros(1, 1, 1, 1), ["b1"] = Tensor.Zeros(1), ["W2"] = Tensor.Zeros(1, 100), ["b2"] = Tensor.Zeros(100), ["W3"] = Tensor.Zeros(100, 10), ["b3"] = Tensor.Zeros(10),
            },
            new Dictionary<string, string> { ["model"] = "simple-cnn", ["input"] = "1x40000x40000", ["filters"] = "1", ["filter_size"] = "1", ["stride"] = "20000" });
        r = CliRunner.Run(_dir, "eval", "--data", data, "--weights", path);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal(
            $"deepscratch: error: {path}: its metadata does not describe a network DeepScratch can build (the architecture does not describe a valid simple-cnn network: the input gives 1600000000 values per example (1x40000x40000), more than the 16777216 (2^24) a layer may hold)",
            Assert.Single(r.StderrLines));
    }

    [Fact]
    public void A_batch_of_a_very_wide_network_is_scored_in_pieces()
    {
        // 21000 1x1 filters on 28x28: 16,464,000 values per example, so a batch of 140 would need more than an array
        // holds (2^31); W2 = 0 and b2 one-hot at 7 make every image class 7, and 14 of the 140 labels are 7.
        const int filters = 21000;
        var w1 = Tensor.Zeros(filters, 1, 1, 1);
        w1.Span.Fill(0.5f);
        string model = Write("wide.safetensors", NetworkDescription.MetadataKey, $"input=1x28x28; conv {filters} 1x1 stride 1 pad 0; pool 28x28 stride 28; affine 10",
            ("W1", w1), ("b1", Tensor.Zeros(filters)), ("W2", Tensor.Zeros(filters, 10)), ("b2", OneHot(10, 7)));
        var r = CliRunner.Run(_dir, "eval", "--data", SmallData(140), "--weights", model, "--batch-size", "1000");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Correct:  14 / 140\n", r.Stdout.Replace("\r", ""));
    }

    [Fact]
    public void Filters_draws_the_first_256_of_a_million_filters_and_says_so()
    {
        const int count = 1_000_000;
        string model = Write("many.safetensors", NetworkDescription.MetadataKey, $"input=1x1x1; conv {count} 1x1 stride 1 pad 0; affine 1",
            ("W1", Tensor.Zeros(count, 1, 1, 1)), ("b1", Tensor.Zeros(count)), ("W2", Tensor.Zeros(count, 1)), ("b2", Tensor.Zeros(1)));
        string png = Path.Combine(_dir, "many.png");
        var r = CliRunner.Run(_dir, "filters", "--weights", model, "--out", png);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // 1x1 filters are drawn 48 px (at least 48 px wide); 8 a row, 256 / 8 = 32 rows, 4 px gaps: 4 + 8·52 by 4 + 32·52.
        Assert.Contains("Filters:  W1 (1000000, 1, 1, 1): 1000000 filters of 1x1; the first 256 drawn\n", r.Stdout.Replace("\r", ""));
        Assert.Contains($"Wrote {png} (420x1668 pixels)\n", r.Stdout.Replace("\r", ""));
        var picture = PngImage.Read(png);
        Assert.Equal((420, 1668), (picture.Width, picture.Height));
    }

    [Fact]
    public void Filters_refuses_a_picture_over_16384_pixels_a_side_and_writes_nothing()
    {
        // One 1700x1700 filter drawn 10 px a weight: 4 + 17000 + 4 = 17008 pixels a side.
        string model = Write("big.safetensors", NetworkDescription.MetadataKey, "input=1x1700x1700; conv 1 1700x1700 stride 1 pad 0; affine 2",
            ("W1", Tensor.Zeros(1, 1, 1700, 1700)), ("b1", Tensor.Zeros(1)), ("W2", Tensor.Zeros(1, 2)), ("b2", Tensor.Zeros(2)));
        string png = Path.Combine(_dir, "big.png");
        var r = CliRunner.Run(_dir, "filters", "--weights", model, "--out", png);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("deepscratch: error: 1x1 filters of 1700x1700 would make a picture of 17008x17008 pixels, more than the 16384 a side the CLI draws.", Assert.Single(r.StderrLines));
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void Show_refuses_an_image_whose_picture_would_exceed_16384_pixels_a_side()
    {
        // One image of 1x2000 pixels, drawn 10 px a pixel: 20000 pixels wide.
        string data = Path.Combine(_dir, "wide-data");
        Directory.CreateDirectory(Path.Combine(data, "mnist"));
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-images-idx3-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Images(1, 1, 2000, IdxFiles.Noise(2000, 1))));
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-labels-idx1-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Labels(1, [3])));
        string png = Path.Combine(_dir, "wide.png");
        var r = CliRunner.Run(_dir, "show", "0", "--data", data, "--out", png);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("deepscratch: error: An image of 1x2000 drawn 10 px a pixel would make a picture of 20000x10 pixels, more than the 16384 a side the CLI draws.", Assert.Single(r.StderrLines));
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void A_converted_file_accepts_its_own_model_and_refuses_another_naming_both()
    {
        string converted = Path.Combine(_dir, "p.safetensors");
        var c = CliRunner.Run(_dir, "convert", TestData.Weights("params.pkl"), converted);
        Assert.True(c.ExitCode == 0, c.Stderr);
        string data = SmallData(20);

        var same = CliRunner.Run(_dir, "eval", "--data", data, "--weights", converted, "--model", "simple-cnn");
        var plain = CliRunner.Run(_dir, "eval", "--data", data, "--weights", converted);
        Assert.True(same.ExitCode == 0, same.Stderr);
        string Correct(CliResult r) => r.Stdout.Replace("\r", "").Split('\n').Single(l => l.StartsWith("Correct:", StringComparison.Ordinal));
        Assert.Equal(Correct(plain), Correct(same));

        var other = CliRunner.Run(_dir, "eval", "--data", data, "--weights", converted, "--model", "deep-cnn");
        Assert.Equal(3, other.ExitCode);
        Assert.Equal(
            $"deepscratch: error: {converted} records a simple-cnn network, not deep-cnn: its own metadata says what it holds (leave out the forced model).",
            Assert.Single(other.StderrLines));
    }
}
