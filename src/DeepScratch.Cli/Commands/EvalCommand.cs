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
            Description = "Write a CSV with index,label,predicted,p0..p9 for every test image.",
            HelpName = "FILE.csv",
        };
        var command = new Command("eval", "Classify the test set with a network and print its accuracy.")
        {
            weights, data, dataset, batchSize, perImage, predictions,
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
            result.GetResult(dataset) is { Implicit: false } ? CommonOptions.ParseDataset(result.GetValue(dataset)!) : null,
            result.GetValue(batchSize),
            result.GetValue(perImage),
            result.GetValue(predictions))));
        return command;
    }

    /// <param name="requested">The --dataset given, or null: then the one the model file was trained on, else MNIST.</param>
    private static int Run(string? weightsPath, string? dataDir, DatasetKind? requested, int batchSize, bool perImage, string? predictionsPath)
    {
        var total = Stopwatch.StartNew();
        if (batchSize < 1)
        {
            throw new UserError($"--batch-size must be at least 1; got {batchSize}.");
        }

        CommonOptions.CheckOutput(predictionsPath, "--predictions");

        var store = CommonOptions.Store(dataDir);
        string path = CommonOptions.ResolveWeights(weightsPath, store);
        var model = ModelFile.Load(path);
        var kind = requested ?? (ModelFile.TrainedOn(path) == Catalog.FolderName(DatasetKind.FashionMnist) ? DatasetKind.FashionMnist : DatasetKind.Mnist);
        var set = Mnist.LoadSet(DatasetSplit.Test, store, kind, new ConsoleProgress());
        if (set.Count == 0)
        {
            throw new InvalidDataException($"the {Catalog.DisplayName(kind)} test set holds no images: nothing to evaluate.");
        }

        CommonOptions.CheckInputSize(model, set, path);
        EvaluationResult result;
        if (model is ThreeLayerNet network)
        {
            result = Evaluation.Evaluate(network, set.Images.Pixels, set.Labels, perImage ? 1 : batchSize);
        }
        else
        {
            var x = set.ImageTensor(normalize: true, flatten: model.InputShape.Count == 1);
            result = perImage ? Evaluation.EvaluatePerImage(model, x, set.Labels) : Evaluation.Evaluate(model, x, set.Labels, batchSize);
        }

        if (predictionsPath is not null)
        {
            WritePredictions(predictionsPath, set.Labels, result);
        }

        total.Stop();
        var inv = CultureInfo.InvariantCulture;
        System.Console.WriteLine($"Network:  {path} ({CommonOptions.Describe(model)})");
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

    private static void WritePredictions(string path, byte[] labels, EvaluationResult result)
    {
        int classes = result.Probabilities.Dim(1);
        var probabilities = result.Probabilities.Span.ToArray();
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write("index,label,predicted");
            for (int c = 0; c < classes; c++)
            {
                writer.Write($",p{c}");
            }

            writer.Write('\n');
            for (int i = 0; i < result.Total; i++)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{i},{labels[i]},{result.Predicted[i]}"));
                for (int c = 0; c < classes; c++)
                {
                    writer.Write(',');
                    writer.Write(probabilities[i * classes + c].ToString("R", CultureInfo.InvariantCulture));
                }

                writer.Write('\n');
            }
        });
    }
}
