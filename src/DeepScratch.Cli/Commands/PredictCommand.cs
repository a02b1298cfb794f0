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
        var command = new Command("predict", "Classify one image: the ten class probabilities as a bar chart, the prediction against the label.")
        {
            index, weights, set, data, dataset,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(
            result.GetValue(index),
            result.GetValue(weights),
            CommonOptions.ParseSplit(result.GetValue(set)!),
            result.GetValue(data),
            CommonOptions.ParseDataset(result.GetValue(dataset)!))));
        return command;
    }

    private static int Run(int index, string? weightsPath, DatasetSplit split, string? dataDir, DatasetKind kind)
    {
        var store = CommonOptions.Store(dataDir);
        var (set, setName) = CommonOptions.LoadForImage(index, store, kind, split);
        string path = CommonOptions.ResolveWeights(weightsPath, store);
        var model = ModelFile.Load(path);
        CommonOptions.CheckInputSize(model, set, path);
        var x = set.ImageTensor(index).Reshape([.. model.InputShape]);
        var y = model.Predict(x);
        int predicted = y.ArgMax();
        int label = set.Labels[index];

        System.Console.WriteLine($"Image {index} of the {setName}, network {Path.GetFileName(path)}");
        var p = y.Span;
        for (int c = 0; c < p.Length; c++)
        {
            int width = (int)Math.Round(p[c] * BarWidth);
            string bar = new string('█', width).PadRight(BarWidth);
            string mark = c == predicted ? "  <- predicted" : "";
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c} │{bar}│ {p[c]:0.0000}{mark}"));
        }

        string verdict = predicted == label ? "correct" : "wrong";
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Predicted: {predicted} (probability {p[predicted]:0.0000}), label: {label} — {verdict}"));
        return 0;
    }
}
