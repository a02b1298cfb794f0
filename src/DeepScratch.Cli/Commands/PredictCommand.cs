using System.CommandLine;
using System.Globalization;
using DeepScratch.Cli.Console;
using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch predict</c>: the network's ten class probabilities for one image, as a bar chart.</summary>
internal static class PredictCommand
{
    private const int BarWidth = 40;

    public static Command Create()
    {
        var index = new Argument<int>("INDEX") { Description = "The image's number in the set, from 0." };
        var weights = CommonOptions.Weights();
        var set = CommonOptions.Set();
        var data = CommonOptions.Data();
        var dataset = CommonOptions.Dataset();
        var bookModel = CommonOptions.BookModel();
        var command = new Command("predict", "Classify one image: the ten class probabilities as a bar chart, the prediction against the label.")
        {
            index, weights, bookModel, set, data, dataset,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(
            result.GetValue(index),
            result.GetValue(weights),
            CommonOptions.ParseSplit(result.GetValue(set)!),
            result.GetValue(data),
            CommonOptions.RequestedDataset(result, dataset),
            result.GetValue(bookModel))));
        return command;
    }

    /// <param name="requested">The --dataset given, or null: then the one the model file was trained on, else MNIST.</param>
    private static int Run(int index, string? weightsPath, DatasetSplit split, string? dataDir, DatasetKind? requested, string? force)
    {
        var store = CommonOptions.Store(dataDir);
        var (model, path, kind, imagesPath, labelsPath) = CommonOptions.ResolveModelAndData(weightsPath, store, requested, split, force);
        var image = CommonOptions.ReadImage(index, imagesPath, labelsPath, kind, split);
        CommonOptions.CheckInputSize(model, image.Pixels.Length, path);
        // The compiled engine when the network has one (every book network), else the layer-by-layer Predict.
        var session = model.CreatePredictor(1);
        var y = session is null ? model.Predict(Mnist.ImageTensor(image.Pixels).Reshape([.. model.InputShape])) : DeepScratch.Tensors.Tensor.Zeros(session.Classes);
        session?.PredictPixels(image.Pixels, 1, y.Span);
        Evaluation.ThrowIfNotFinite(model, y.Span, y.Length, index, "image");
        int predicted = y.ArgMax();
        int label = image.Label;
        var names = Catalog.ClassNames(kind);
        int nameWidth = names?.Max(n => n.Length) ?? 0;

        System.Console.WriteLine($"Image {index} of the {image.SetName}, network {Path.GetFileName(path)}");
        var p = y.Span;
        for (int c = 0; c < p.Length; c++)
        {
            int width = (int)Math.Round(p[c] * BarWidth);
            string bar = new string('█', width).PadRight(BarWidth);
            string mark = c == predicted ? "  <- predicted" : "";
            string name = names is null ? "" : " " + Catalog.ClassName(kind, c).PadRight(nameWidth);
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c}{name} │{bar}│ {p[c]:0.0000}{mark}"));
        }

        string verdict = predicted == label ? "correct" : "wrong";
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Predicted: {CommonOptions.ClassLabel(kind, predicted)} (probability {p[predicted]:0.0000}), label: {CommonOptions.ClassLabel(kind, label)} — {verdict}"));
        return 0;
    }
}
