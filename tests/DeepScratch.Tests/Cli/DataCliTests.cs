using System.Text.RegularExpressions;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// Issue 7, items 6, 7 and 14 end to end: data folders as users have them, one dataset rule for eval, predict and
/// show with Fashion-MNIST's class names, and models with huge class counts.
/// </summary>
public sealed class DataCliTests : IDisposable
{
    /// <summary>Fashion-MNIST's classes as published by Zalando Research (github.com/zalandoresearch/fashion-mnist).</summary>
    private static readonly string[] FashionNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-data-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The book's network saved as a model trained on <paramref name="dataset"/>.</summary>
    private string ModelTrainedOn(string dataset)
    {
        string path = Path.Combine(_dir, $"{dataset}.safetensors");
        var tensors = NumpyPickle.LoadTensors(TestData.Weights("sample_weight.pkl"));
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["model"] = "three-layer", ["dataset"] = dataset });
        return path;
    }

    [Fact]
    public void Eval_on_an_empty_offline_folder_names_every_missing_file_in_one_line()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;

        var r = CliRunner.Run(_dir, "eval", "--data", empty);

        Assert.Equal(3, r.ExitCode);
        string line = Assert.Single(r.StderrLines);
        Assert.Contains(Path.Combine(empty, "weights", "sample_weight.pkl"), line);
        Assert.Contains(Path.Combine(empty, "mnist", "t10k-images-idx3-ubyte.gz"), line);
        Assert.Contains(Path.Combine(empty, "mnist", "t10k-labels-idx1-ubyte.gz"), line);
    }

    [Fact]
    public void Eval_reads_dot_named_files_and_the_loose_layout_of_the_books_dataset_folder()
    {
        string dotted = Directory.CreateDirectory(Path.Combine(_dir, "dotted", "mnist")).FullName;
        File.CreateSymbolicLink(Path.Combine(dotted, "t10k-images.idx3-ubyte.gz"), TestData.Mnist("t10k-images-idx3-ubyte.gz"));
        File.CreateSymbolicLink(Path.Combine(dotted, "t10k-labels.idx1-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        string loose = Directory.CreateDirectory(Path.Combine(_dir, "dataset")).FullName;
        File.CreateSymbolicLink(Path.Combine(loose, "t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-images-idx3-ubyte.gz"));
        File.CreateSymbolicLink(Path.Combine(loose, "t10k-labels-idx1-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz"));
        File.CreateSymbolicLink(Path.Combine(loose, "sample_weight.pkl"), TestData.Weights("sample_weight.pkl"));

        var fromDotted = CliRunner.Run(_dir, "eval", "--data", Path.Combine(_dir, "dotted"), "--weights", TestData.Weights("sample_weight.pkl"));
        var fromLoose = CliRunner.Run(_dir, "eval", "--data", loose);

        Assert.True(fromDotted.ExitCode == 0, fromDotted.Stderr);
        Assert.Contains("Accuracy: 0.9352", fromDotted.Stdout);
        Assert.True(fromLoose.ExitCode == 0, fromLoose.Stderr);
        Assert.Contains("Accuracy: 0.9352", fromLoose.Stdout);
    }

    [Fact]
    public void Predict_with_a_fashion_model_uses_fashion_mnist_and_names_the_classes()
    {
        string model = ModelTrainedOn("fashion-mnist");

        var r = CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", model);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Image 0 of the Fashion-MNIST test set", r.Stdout);
        Assert.Matches(new Regex(@"label: 9 Ankle boot — (correct|wrong)"), r.Stdout); // Fashion-MNIST test image 0 is an ankle boot
        for (int c = 0; c < 10; c++)
        {
            Assert.Matches(new Regex($@"^  {c} {Regex.Escape(FashionNames[c])} +│", RegexOptions.Multiline), r.Stdout.Replace("\r", ""));
        }
    }

    [Fact]
    public void An_explicit_dataset_wins_over_the_models_for_predict()
    {
        string model = ModelTrainedOn("fashion-mnist");

        var r = CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", model, "--dataset", "mnist");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Image 0 of the MNIST test set", r.Stdout);
        Assert.Contains("Predicted: 7 (probability", r.Stdout); // the book's network reads MNIST test image 0, a 7, as a 7
    }

    [Fact]
    public void A_model_trained_on_an_unknown_dataset_is_a_clear_line()
    {
        string model = ModelTrainedOn("cifar10");

        var r = CliRunner.Run(_dir, "predict", "0", "--data", TestData.Dir, "--weights", model);

        Assert.Equal(3, r.ExitCode);
        Assert.Equal($"deepscratch: error: {model} was trained on \"cifar10\", a dataset DeepScratch does not have; choose one with --dataset mnist or fashion-mnist.", Assert.Single(r.StderrLines));
    }

    [Fact]
    public void Show_of_a_fashion_image_names_its_class_and_does_not_call_it_a_digit()
    {
        var r = CliRunner.Run(_dir, "show", "0", "--data", TestData.Dir, "--dataset", "fashion-mnist");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Label: 9 Ankle boot", r.Stdout);
        Assert.True(File.Exists(Path.Combine(_dir, "fashion-mnist-test-0.png")));
        Assert.False(File.Exists(Path.Combine(_dir, "digit-0.png")));
    }

    [Fact]
    public void Eval_predictions_of_a_fashion_model_carry_the_class_names_beside_the_numbers()
    {
        string model = ModelTrainedOn("fashion-mnist");
        string csv = Path.Combine(_dir, "fashion.csv");

        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir, "--weights", model, "--predictions", csv);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Fashion-MNIST test set, 10000 images", r.Stdout);
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal("index,label,predicted,label_name,predicted_name,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines[0]);
        Assert.Equal(10001, lines.Length);
        Assert.StartsWith("0,9,", lines[1]);
        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split(',');
            Assert.Equal(15, f.Length);
            Assert.Equal(FashionNames[int.Parse(f[1])], f[3]);
            Assert.Equal(FashionNames[int.Parse(f[2])], f[4]);
        }
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(300_000)]
    public void Eval_of_a_network_with_a_huge_class_count_gives_its_accuracy(int classes)
    {
        // 784-1-1-classes with W3 = 0 and b3 largest at class 3: every image is predicted 3; 4 of the 10 labels are 3.
        var b3 = new float[classes];
        b3[3] = 1;
        string model = Path.Combine(_dir, "wide.safetensors");
        SafeTensors.Save(model, new Dictionary<string, Tensor>
        {
            ["W1"] = Tensor.Zeros(784, 1), ["b1"] = Tensor.Zeros(1), ["W2"] = Tensor.Zeros(1, 1), ["b2"] = Tensor.Zeros(1), ["W3"] = Tensor.Zeros(1, classes), ["b3"] = new(b3, classes),
        }, new Dictionary<string, string> { ["model"] = "three-layer" });
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "mnist"));
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-images-idx3-ubyte"), IdxFiles.Images(10, 28, 28, IdxFiles.Noise(7840, 1)));
        File.WriteAllBytes(Path.Combine(data, "mnist", "t10k-labels-idx1-ubyte"), IdxFiles.Labels(10, [3, 1, 3, 5, 3, 0, 9, 3, 2, 8]));

        var r = CliRunner.Run(_dir, "eval", "--data", data, "--weights", model, "--batch-size", "10000");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Accuracy: 0.4000", r.Stdout);
        Assert.Contains("Correct:  4 / 10", r.Stdout);
    }
}
