using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary>Options shared by several commands, so they are spelled and explained the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "Data folder (holds mnist/, fashion-mnist/, weights/). Default: $DEEPSCRATCH_DATA, else ~/.cache/deepscratch.",
        HelpName = "DIR",
    };

    public static Option<string> Dataset() => new Option<string>("--dataset")
    {
        Description = "Which images: mnist or fashion-mnist (eval: default the dataset a saved model was trained on, else mnist).",
        DefaultValueFactory = _ => "mnist",
    }.AcceptOnlyFromAmong("mnist", "fashion-mnist");

    public static Option<string> Set() => new Option<string>("--set")
    {
        Description = "Which split: test (10,000 images) or train (60,000).",
        DefaultValueFactory = _ => "test",
    }.AcceptOnlyFromAmong("test", "train");

    public static Option<string?> Weights() => new("--weights")
    {
        Description = "Weights file (a numpy pickle such as the book's sample_weight.pkl). Default: <data>/weights/sample_weight.pkl, downloaded if missing.",
        HelpName = "FILE",
    };

    public static DatasetKind ParseDataset(string name) => name == "fashion-mnist" ? DatasetKind.FashionMnist : DatasetKind.Mnist;

    public static DatasetSplit ParseSplit(string name) => name == "train" ? DatasetSplit.Train : DatasetSplit.Test;

    /// <summary>An output path given by the user, checked before any work so a long run never ends in a write error.</summary>
    public static void CheckOutput(string? path, string option)
    {
        if (path is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw new UserError($"{option} needs a file name.");
        }

        AtomicFile.CheckWritable(path);
    }

    /// <summary>The data store for <c>--data</c> (an empty value is a mistake, not "use the default").</summary>
    public static DataStore Store(string? dataDir)
    {
        if (dataDir is not null && string.IsNullOrWhiteSpace(dataDir))
        {
            throw new UserError("--data needs a folder.");
        }

        return DataStore.Resolve(dataDir);
    }

    /// <summary>Checks that a model takes images of the set's size, naming both when not.</summary>
    public static void CheckInputSize(IClassifier model, int imageSize, string path)
    {
        int inputs = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (imageSize != inputs)
        {
            throw new InvalidDataException($"{path} takes {inputs} inputs but the images have {imageSize} pixels.");
        }
    }

    /// <summary>The <c>--dataset</c> the user gave, or null when it was left out (then <see cref="ModelFile.DatasetFor"/> decides).</summary>
    public static DatasetKind? RequestedDataset(ParseResult result, Option<string> option) =>
        result.GetResult(option) is { Implicit: false } ? ParseDataset(result.GetValue(option)!) : null;

    /// <summary>
    /// The model file and the split's two files for a command that runs a model: the dataset by the one rule
    /// (<see cref="ModelFile.DatasetFor"/>), and every missing file (the default weights included) fetched or
    /// reported together in one message.
    /// </summary>
    public static (string ModelPath, DatasetKind Kind, string ImagesPath, string LabelsPath) ResolveModelAndData(
        string? weights, DataStore store, DatasetKind? requested, DatasetSplit split)
    {
        string? given = weights is null ? null : ResolveWeights(weights, store);
        var kind = ModelFile.DatasetFor(given, requested);
        var files = new List<DatasetFile>();
        if (given is null)
        {
            files.Add(Catalog.SampleWeight);
        }

        files.AddRange(Mnist.Files(kind, split));
        var paths = store.Ensure(files, new ConsoleProgress());
        return (given ?? paths[0], kind, paths[^2], paths[^1]);
    }

    /// <summary>
    /// One image of a split, read without decoding the images before it into memory, with the index checked against
    /// the set's size (from the file's header) in a message that gives the valid range.
    /// </summary>
    public static ImageExample ReadImage(int index, string imagesPath, string labelsPath, DatasetKind kind, DatasetSplit split)
    {
        using var reader = MnistReader.Open(imagesPath, labelsPath);
        string name = $"{Catalog.DisplayName(kind)} {split.ToString().ToLowerInvariant()} set";
        if (index < 0 || index >= reader.Count)
        {
            throw new UserError($"index {index} is out of range: the {name} has {reader.Count} images, numbered 0 to {reader.Count - 1}.");
        }

        var (pixels, label) = reader.ReadExample(index);
        return new ImageExample(pixels, label, reader.Rows, reader.Columns, name);
    }

    /// <summary>A class for display: the digit for MNIST, "9 Ankle boot" for Fashion-MNIST.</summary>
    public static string ClassLabel(DatasetKind kind, int label) => Catalog.ClassNames(kind) is null
        ? label.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{label} {Catalog.ClassName(kind, label)}");

    /// <summary>One line about a model for output headers.</summary>
    public static string Describe(IClassifier model) => model switch
    {
        ThreeLayerNet n => $"{n.InputShape[0]}-{n.W1.Dim(1)}-{n.W2.Dim(1)}-{n.Classes}, sigmoid, sigmoid, softmax",
        INetwork n => TrainCommand.Describe(n),
        _ => model.GetType().Name,
    };

    /// <summary>The weights file the user named (which must exist), else the book's network from the data folder.</summary>
    public static string ResolveWeights(string? weights, DataStore store)
    {
        if (weights is null)
        {
            return store.Ensure(Catalog.SampleWeight, new ConsoleProgress());
        }

        if (string.IsNullOrWhiteSpace(weights))
        {
            throw new UserError("--weights needs a file name.");
        }

        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"weights file not found: {weights}", weights);
        }

        return weights;
    }

}

/// <summary>One image read for <c>show</c> or <c>predict</c>.</summary>
/// <param name="Pixels">Its pixels, row-major, 0-255.</param>
/// <param name="Label">Its class.</param>
/// <param name="Rows">Height in pixels.</param>
/// <param name="Columns">Width in pixels.</param>
/// <param name="SetName">The split for messages ("MNIST test set").</param>
internal sealed record ImageExample(byte[] Pixels, byte Label, int Rows, int Columns, string SetName);
