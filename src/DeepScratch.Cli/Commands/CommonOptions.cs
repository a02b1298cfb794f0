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
    public static void CheckInputSize(IClassifier model, MnistSet set, string path)
    {
        int inputs = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (set.Images.ImageSize != inputs)
        {
            throw new InvalidDataException($"{path} takes {inputs} inputs but the images have {set.Images.ImageSize} pixels.");
        }
    }

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

    /// <summary>
    /// Loads a split for a command that looks at one image, and checks the index against its size with a message
    /// that gives the valid range. Returns the set and its name for messages ("MNIST test set").
    /// </summary>
    public static (MnistSet Set, string Name) LoadForImage(int index, DataStore store, DatasetKind kind, DatasetSplit split)
    {
        var set = Mnist.LoadSet(split, store, kind, new ConsoleProgress());
        string name = $"{Catalog.DisplayName(kind)} {split.ToString().ToLowerInvariant()} set";
        if (index < 0 || index >= set.Count)
        {
            throw new UserError($"index {index} is out of range: the {name} has {set.Count} images, numbered 0 to {set.Count - 1}.");
        }

        return (set, name);
    }
}
