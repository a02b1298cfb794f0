using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DeepScratch.Cli.Console;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch eval</c>: the accuracy of a network on a test set (the book's chapter 3 inference).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var weights = CommonOptions.Weights();
        var data = CommonOptions.Data();
        var dataset = CommonOptions.Dataset();
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Images per batch.",
            DefaultValueFactory = _ => 100,
            HelpName = "N",
        };
        var perImage = new Option<bool>("--per-image") { Description = "Classify one image at a time, as the book's first loop does (not with --batch-size)." };
        var predictions = new Option<string?>("--predictions")
        {
            Description = "Write a CSV with index,label,predicted,p0..p9 for every test image (Fashion-MNIST adds label_name,predicted_name after predicted).",
            HelpName = "FILE.csv",
        };
        var half = new Option<bool>("--half")
        {
            Description = "Store the weights as float16 (System.Half) and compute in float32, as the book's half_float_network.py (chapter 8).",
        };
        var bookModel = CommonOptions.BookModel();
        var command = new Command("eval", "Classify the test set with a network and print its accuracy.")
        {
            weights, bookModel, data, dataset, batchSize, perImage, predictions, half,
        };
        // A batch size beside --per-image would be ignored: refuse it rather than run something else than asked.
        command.Validators.Add(r =>
        {
            if (r.GetValue(perImage) && r.GetResult(batchSize) is { Implicit: false })
            {
                r.AddError("--per-image and --batch-size cannot be used together (--per-image classifies one image at a time)");
            }
        });
        command.SetAction(result => ErrorReporter.Run(() => Run(
            result.GetValue(weights),
            result.GetValue(data),
            CommonOptions.RequestedDataset(result, dataset),
            result.GetValue(batchSize),
            result.GetValue(perImage),
            result.GetValue(predictions),
            result.GetValue(bookModel),
            result.GetValue(half))));
        return command;
    }

    /// <param name="requested">The --dataset given, or null: then the one the model file was trained on, else MNIST.</param>
    private static int Run(string? weightsPath, string? dataDir, DatasetKind? requested, int batchSize, bool perImage, string? predictionsPath, string? force, bool half)
    {
        var total = Stopwatch.StartNew();
        if (batchSize < 1)
        {
            throw new UserError($"--batch-size must be at least 1; got {batchSize}.");
        }

        CommonOptions.CheckOutput(predictionsPath, "--predictions");

        var store = CommonOptions.Store(dataDir);
        var (model, path, kind, imagesPath, labelsPath) = CommonOptions.ResolveModelAndData(weightsPath, store, requested, DatasetSplit.Test, force);
        string? halfNote = null;
        if (half)
        {
            (model, halfNote) = ToHalf(model, path);
        }

        CommonOptions.CheckOutput(predictionsPath, "--predictions", (path, "the model file"), (imagesPath, "the images file"), (labelsPath, "the labels file"));

        // Only the headers are read here: Evaluate checks the image size against the network before any pixel, and the
        // set is then streamed a batch at a time, so memory follows the batch and not the file's claim.
        using var data = MnistReader.Open(imagesPath, labelsPath);
        if (data.Count == 0)
        {
            throw new InvalidDataException($"the {Catalog.DisplayName(kind)} test set holds no images: nothing to evaluate.");
        }

        int batch = perImage ? 1 : batchSize;
        EvaluationSummary result = null!;
        if (predictionsPath is null)
        {
            result = Evaluation.Evaluate(model, data, batch, perImage);
        }
        else
        {
            AtomicFile.Write(predictionsPath, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                var rows = new PredictionWriter(writer, kind);
                result = Evaluation.Evaluate(model, data, batch, perImage, rows.Write);
            });
        }

        total.Stop();
        var inv = CultureInfo.InvariantCulture;
        System.Console.WriteLine($"Network:  {path} ({DisplayText.Escape(model.Description)})");
        if (halfNote is not null)
        {
            System.Console.WriteLine($"Weights:  {halfNote}");
        }

        System.Console.WriteLine($"Data:     {Catalog.DisplayName(kind)} test set, {result.Total} images");
        System.Console.WriteLine(string.Create(inv, $"Accuracy: {result.Accuracy:0.0000}"));
        System.Console.WriteLine($"Correct:  {result.Correct} / {result.Total}");
        System.Console.WriteLine(string.Create(inv,
            $"Speed:    {result.ImagesPerSecond:0} images/s ({(perImage ? "one image at a time" : $"batches of {batchSize}")}), inference {result.Elapsed.TotalMilliseconds:0.0} ms"));
        System.Console.WriteLine(string.Create(inv, $"Elapsed:  {total.Elapsed.TotalSeconds:0.000} s in all (loading included)"));
        if (predictionsPath is not null)
        {
            System.Console.WriteLine($"Predictions: {predictionsPath}");
        }

        return 0;
    }

    /// <summary>
    /// The model with its weights rounded through float16, and the line that says so: how many values were stored as
    /// float16 and the largest change rounding made.
    /// </summary>
    private static (IClassifier Model, string Note) ToHalf(IClassifier model, string path)
    {
        IClassifier rounded;
        try
        {
            rounded = HalfPrecision.ToHalfWeights(model);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: --half: {e.Message}", e);
        }

        long count = 0;
        double largest = 0;
        foreach (var ((_, before), (_, after)) in HalfPrecision.Weights(model).Zip(HalfPrecision.Weights(rounded)))
        {
            count += before.Length;
            var a = before.Span;
            var b = after.Span;
            for (int i = 0; i < a.Length; i++)
            {
                largest = Math.Max(largest, Math.Abs((double)a[i] - b[i]));
            }
        }

        return (rounded, string.Create(CultureInfo.InvariantCulture,
            $"float16 ({count} weights stored as System.Half, largest rounding change {largest:G3}; computed in float32)"));
    }

    /// <summary>
    /// Writes the predictions CSV a row at a time as the evaluation streams: index,label,predicted, the class names for
    /// datasets that have them (label_name,predicted_name), then one probability column per class.
    /// </summary>
    private sealed class PredictionWriter(StreamWriter writer, DatasetKind kind)
    {
        private readonly bool _names = Catalog.ClassNames(kind) is not null;
        private bool _headerWritten;

        public void Write(int index, int label, int predicted, ReadOnlySpan<float> probabilities)
        {
            var inv = CultureInfo.InvariantCulture;
            if (!_headerWritten)
            {
                writer.Write(_names ? "index,label,predicted,label_name,predicted_name" : "index,label,predicted");
                for (int c = 0; c < probabilities.Length; c++)
                {
                    writer.Write(string.Create(inv, $",p{c}"));
                }

                writer.Write('\n');
                _headerWritten = true;
            }

            writer.Write(string.Create(inv, $"{index},{label},{predicted}"));
            if (_names)
            {
                writer.Write($",{Csv(Catalog.ClassName(kind, label))},{Csv(Catalog.ClassName(kind, predicted))}");
            }

            foreach (float p in probabilities)
            {
                writer.Write(',');
                writer.Write(p.ToString("R", inv));
            }

            writer.Write('\n');
        }

        /// <summary>Quotes a field that holds a comma or a quote (none of the class names today; "T-shirt/top" has a slash).</summary>
        private static string Csv(string field) =>
            field.AsSpan().IndexOfAny(",\"\n") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
    }
}
