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

    /// <summary>
    /// <c>--dataset</c>. With <paramref name="modelDefault"/> (commands that read a model) it has no parsed default, so
    /// the command can tell "not given" (the model's own dataset applies) from an explicit choice; otherwise mnist.
    /// </summary>
    public static Option<string> Dataset(bool modelDefault = true)
    {
        var option = new Option<string>("--dataset")
        {
            Description = modelDefault
                ? "Which images: mnist or fashion-mnist. Default: the dataset the model was trained on, else mnist."
                : "Which images: mnist or fashion-mnist.",
        };
        if (!modelDefault)
        {
            option.DefaultValueFactory = _ => Catalog.FolderName(DatasetKind.Mnist);
        }

        return option.AcceptOnly(Enum.GetValues<DatasetKind>().Select(Catalog.FolderName).ToArray());
    }

    /// <summary><c>--model</c> of the commands that read the book's files: which book network a pickle holds, instead of recognising it.</summary>
    public static Option<string> BookModel() => new Option<string>("--model")
    {
        Description = $"Which of the book's networks the file holds ({string.Join(", ", BookNetworks.Names)}). Default: recognised from the arrays' names and shapes.",
    }.AcceptOnly([.. BookNetworks.Names]);

    public static Option<string> Set() => new Option<string>("--set")
    {
        Description = "Which split: test (10,000 images) or train (60,000).",
        DefaultValueFactory = _ => "test",
    }.AcceptOnly("test", "train");

    /// <summary>
    /// Restricts <paramref name="option"/> to <paramref name="choices"/>, ignoring case (<c>--dataset MNIST</c>); the
    /// value seen by the command is the listed spelling. A wrong value gets one plain line naming the choices.
    /// </summary>
    public static Option<string> AcceptOnly(this Option<string> option, params string[] choices)
    {
        option.HelpName ??= string.Join('|', choices);
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return option.DefaultValueFactory?.Invoke(result);
            }

            string given = result.Tokens[^1].Value;
            string? match = choices.FirstOrDefault(c => string.Equals(c, given.Trim(), StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                string list = choices.Length == 2 ? $"{choices[0]} or {choices[1]}" : string.Join(", ", choices);
                result.AddError($"{option.Name} must be {(choices.Length == 2 ? "" : "one of ")}{list}; got '{given}'{ParseErrorText.Suggest(given, choices)}");
                return null;
            }

            return match;
        };
        option.CompletionSources.Add(choices);
        return option;
    }

    public static Option<string?> Weights() => new("--weights")
    {
        Description = "Model file: a numpy pickle of the chapter 3 network (such as the book's sample_weight.pkl) or a safetensors model from train or convert. Default: <data>/weights/sample_weight.pkl, downloaded if missing.",
        HelpName = "FILE",
    };

    public static DatasetKind ParseDataset(string? name) => name == Catalog.FolderName(DatasetKind.FashionMnist) ? DatasetKind.FashionMnist : DatasetKind.Mnist;

    public static DatasetSplit ParseSplit(string name) => name == "train" ? DatasetSplit.Train : DatasetSplit.Test;

    /// <summary>
    /// An output path given by the user, checked before any work so a long run never ends in a write error, and
    /// checked against the files the command reads (<paramref name="inputs"/>: the path and the option or role that
    /// named it), so an output never replaces the model or the data it is made from; symbolic links are followed.
    /// </summary>
    public static void CheckOutput(string? path, string option, params ReadOnlySpan<(string? Path, string What)> inputs)
    {
        if (path is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw new UserError($"{option} needs a file name.");
        }

        foreach (var (input, what) in inputs)
        {
            if (!string.IsNullOrEmpty(input) && AtomicFile.IsSameFile(path, input))
            {
                throw new UserError($"{option} {path} is the same file as {what} ({input}), which this command reads: writing would overwrite it; give another file name.");
            }
        }

        try
        {
            AtomicFile.CheckWritable(path);
        }
        catch (IOException e)
        {
            // The library's line says what is wrong with the path; the option says which of the user's paths it is.
            throw new IOException($"{option}: {e.Message}", e);
        }
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
    /// The model and the split's two files for a command that runs a model: a model the user named is loaded (so
    /// identified and checked) before any data is looked for or downloaded; the dataset by the one rule
    /// (<see cref="ModelFile.DatasetFor"/>); every missing file (the default weights included) fetched or reported
    /// together in one message. <paramref name="force"/> is <c>--model</c> (<see cref="BookNetworks.Names"/>), or null.
    /// </summary>
    public static (IClassifier Model, string ModelPath, DatasetKind Kind, string ImagesPath, string LabelsPath) ResolveModelAndData(
        string? weights, DataStore store, DatasetKind? requested, DatasetSplit split, string? force = null)
    {
        string? given = weights is null ? null : ResolveWeights(weights, store);
        var model = given is null ? null : ModelFile.Load(given, force);
        var kind = ModelFile.DatasetFor(given, requested);
        var files = new List<DatasetFile>();
        if (given is null)
        {
            files.Add(Catalog.SampleWeight);
        }

        files.AddRange(Mnist.Files(kind, split));
        var paths = store.Ensure(files, new ConsoleProgress());
        string path = given ?? paths[0];
        return (model ?? ModelFile.Load(path, force), path, kind, paths[^2], paths[^1]);
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

        CheckWeightsFile(weights, store);
        return weights;
    }

    /// <summary>
    /// <see cref="CheckInputFile"/> for <c>--weights</c>: a missing file whose name is in the data folder's weights/
    /// (the book's files are fetched there) gets that path as a hint; it is not loaded in its place.
    /// </summary>
    public static void CheckWeightsFile(string weights, DataStore store)
    {
        if (!string.IsNullOrWhiteSpace(weights) && !File.Exists(weights) && !Directory.Exists(weights))
        {
            string there = Path.Combine(store.Root, Catalog.SampleWeight.Folder, Path.GetFileName(weights));
            if (File.Exists(there))
            {
                throw new FileNotFoundException($"--weights: file not found: {weights}; did you mean {there}?", weights);
            }
        }

        CheckInputFile(weights, "--weights");
    }

    /// <summary>
    /// Checks that a file the user named to be read exists and is a file: a folder is named as such, not "not found".
    /// </summary>
    /// <param name="what">The option or argument that named it (--weights, INPUT, FILE), for the message.</param>
    public static void CheckInputFile(string path, string what)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new UserError($"{what} needs a file name.");
        }

        if (Directory.Exists(path))
        {
            throw new IOException($"{what}: {path} is a folder, not a file.");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{what}: file not found: {path}", path);
        }
    }

}
