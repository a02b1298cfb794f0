using System.CommandLine;
using System.Globalization;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary>
/// <c>deepscratch misclassified</c>: the test images a network gets wrong, as a captioned PNG gallery (chapter 8's
/// <c>misclassified_mnist.py</c>), on the dataset the model was trained on.
/// </summary>
internal static class MisclassifiedCommand
{
    /// <summary>Images in the gallery when --count is not given: the book's max_view.</summary>
    public const int DefaultCount = 20;

    /// <summary>The most images one gallery draws (200 rows of five): the picture stays a few megabytes.</summary>
    public const int MaxCount = 1000;

    public static Command Create()
    {
        var weights = CommonOptions.Weights();
        var bookModel = CommonOptions.BookModel();
        var data = CommonOptions.Data();
        var dataset = CommonOptions.Dataset();
        var output = new Option<string>("--out")
        {
            Description = "PNG file to write.",
            DefaultValueFactory = _ => "misclassified.png",
            HelpName = "FILE.png",
        };
        var count = new Option<int>("--count")
        {
            Description = $"How many misclassified images to draw: the first N of the test set (at most {MaxCount}).",
            DefaultValueFactory = _ => DefaultCount,
            HelpName = "N",
        };
        var command = new Command("misclassified", "Draw the test images a network gets wrong, each with its label and the prediction (the book's misclassified_mnist.py).")
        {
            weights, bookModel, data, dataset, output, count,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(
            result.GetValue(weights),
            result.GetValue(data),
            CommonOptions.RequestedDataset(result, dataset),
            result.GetValue(output)!,
            result.GetValue(count),
            result.GetValue(bookModel))));
        return command;
    }

    private static int Run(string? weightsPath, string? dataDir, DatasetKind? requested, string output, int count, string? force)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new UserError($"--count must be between 1 and {MaxCount}; got {count}.");
        }

        CommonOptions.CheckOutput(output, "--out");
        var store = CommonOptions.Store(dataDir);
        var (model, path, kind, imagesPath, labelsPath) = CommonOptions.ResolveModelAndData(weightsPath, store, requested, DatasetSplit.Test, force);
        CommonOptions.CheckOutput(output, "--out", (path, "the model file"), (imagesPath, "the images file"), (labelsPath, "the labels file"));

        // Every mistake is counted (the total must agree with eval's accuracy); only the first `count` are drawn.
        var wrong = new List<(int Index, int Label, int Predicted)>();
        EvaluationSummary summary;
        int rows, columns;
        using (var reader = MnistReader.Open(imagesPath, labelsPath))
        {
            if (reader.Count == 0)
            {
                throw new InvalidDataException($"the {Catalog.DisplayName(kind)} test set holds no images: nothing to classify.");
            }

            (rows, columns) = (reader.Rows, reader.Columns);
            summary = Evaluation.Evaluate(model, reader, 100, onExample: (index, label, predicted, _) =>
            {
                if (predicted != label)
                {
                    wrong.Add((index, label, predicted));
                }
            });
        }

        var inv = CultureInfo.InvariantCulture;
        System.Console.WriteLine($"Network:  {path} ({DisplayText.Escape(model.Description)})");
        System.Console.WriteLine($"Data:     {Catalog.DisplayName(kind)} test set, {summary.Total} images");
        System.Console.WriteLine(string.Create(inv, $"Misclassified: {wrong.Count} of {summary.Total} (accuracy {summary.Accuracy:0.0000})"));
        if (wrong.Count == 0)
        {
            System.Console.WriteLine($"The network classifies every image correctly: nothing to draw ({output} not written).");
            return 0;
        }

        var shown = new List<Misclassified>();
        using (var reader = MnistReader.Open(imagesPath, labelsPath))
        {
            foreach (var (index, label, predicted) in wrong.Take(count))
            {
                shown.Add(new Misclassified(index, reader.ReadExample(index).Pixels, label, predicted));
            }
        }

        // The book's printout {view index: (label, inference)}, with the image's own index in the set.
        System.Console.WriteLine($"Shown:    the first {shown.Count} (index: label -> predicted)");
        foreach (var m in shown)
        {
            System.Console.WriteLine($"  {m.Index}: {CommonOptions.ClassLabel(kind, m.Label)} -> {CommonOptions.ClassLabel(kind, m.Predicted)}");
        }

        string title = $"{shown.Count} of {wrong.Count} misclassified: {Path.GetFileName(path)} on the {Catalog.DisplayName(kind)} test set";
        (int Width, int Height) size = default;
        AtomicFile.Write(output, stream => size = MisclassifiedGallery.Write(stream, shown, rows, columns, DisplayText.Escape(title), c => CommonOptions.ClassLabel(kind, c)));
        System.Console.WriteLine($"Wrote {output} ({size.Width}x{size.Height} pixels)");
        return 0;
    }
}
