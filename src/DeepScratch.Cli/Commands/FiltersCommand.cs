using System.CommandLine;
using DeepScratch.Data;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary>
/// <c>deepscratch filters</c>: what the first convolution layer learned, its filters as a grid of grey squares
/// (chapter 7's <c>visualize_filter.py</c>), for a trained network (<c>--weights</c>) or an untrained one
/// (<c>--model</c>, its weights drawn with <c>--seed</c>), as the book compares them in figure 7-24.
/// </summary>
internal static class FiltersCommand
{
    public static Command Create()
    {
        var weights = new Option<string?>("--weights")
        {
            Description = "Model file holding a convolutional network: the book's params.pkl or deep_convnet_params.pkl, or a safetensors model from train or convert.",
            HelpName = "FILE",
        };
        var output = new Option<string>("--out")
        {
            Description = "PNG file to write.",
            DefaultValueFactory = _ => "filters.png",
            HelpName = "FILE.png",
        };
        // The shared --model of the commands that read the book's files (with --weights it says which network the
        // file holds, as eval's); alone it builds that network untrained, which its description here adds.
        var model = CommonOptions.BookModel();
        model.Description = $"Which of the book's networks ({string.Join(", ", BookNetworks.Names)}): with --weights, the one the file holds (default: recognised); alone, an untrained one, its filters as initialised (figure 7-24 before learning).";
        var seed = new Option<int>("--seed") { Description = "Seeds the untrained network's weights (with --model).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = new Command("filters", "Draw the first convolution layer's filters as a grid (the book's visualize_filter.py).")
        {
            weights, model, seed, output,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(seed) is { Implicit: false } && (r.GetResult(model) is null || r.GetResult(weights) is not null))
            {
                r.AddError("--seed needs --model without --weights (it seeds an untrained network's weights)");
            }
        });
        command.SetAction(result => ErrorReporter.Run(() => Run(result.GetValue(weights), result.GetValue(model), result.GetValue(seed), result.GetValue(output)!)));
        return command;
    }

    /// <param name="untrained">--model: alone, the untrained network to draw; with --weights, the book network the file holds.</param>
    private static int Run(string? weightsPath, string? untrained, int seed, string output)
    {
        if (untrained is not null && weightsPath is null)
        {
            if (!TrainableModels.IsConvolutional(untrained))
            {
                throw new UserError($"--model {untrained} has no convolution layer: filters draws a convolutional network's first filters ({NetworkFactory.SimpleCnn} or {NetworkFactory.DeepCnn}).");
            }

            CommonOptions.CheckOutput(output, "--out");
            var network = NetworkFactory.Create(new Dictionary<string, string> { ["model"] = untrained }, seed);
            var first = FirstConvolution(network) ?? throw new InvalidOperationException($"{untrained} has no convolution layer.");
            return Draw(first, $"untrained {DisplayText.Escape(network.Description)}, seed {seed}", output);
        }

        if (weightsPath is null)
        {
            throw new UserError("filters needs --weights FILE (a trained convolutional network such as the book's params.pkl) or --model simple-cnn|deep-cnn (an untrained one).");
        }

        // filters has no --data: the hint looks in the default data folder ($DEEPSCRATCH_DATA, else the cache).
        CommonOptions.CheckWeightsFile(weightsPath, DataStore.Resolve());
        CommonOptions.CheckOutput(output, "--out", (weightsPath, "the model file"));
        var model = ModelFile.Load(weightsPath, untrained);
        var convolution = FirstConvolution(model) ?? throw new UserError(
            $"{weightsPath} holds a network without a convolution layer ({DisplayText.Escape(model.Description)}): filters draws a convolutional network's first filters, e.g. the book's params.pkl.");
        return Draw(convolution, $"{weightsPath} ({DisplayText.Escape(model.Description)})", output);
    }

    /// <summary>The network's first convolution layer in forward order, or null when it has none.</summary>
    private static Convolution? FirstConvolution(IClassifier model) =>
        model is LayeredNetwork layered ? layered.Layers.OfType<Convolution>().FirstOrDefault() : null;

    private static int Draw(Convolution convolution, string network, string output)
    {
        var w = convolution.W.Value;
        int count = w.Dim(0), channels = w.Dim(1), fh = w.Dim(2), fw = w.Dim(3);
        System.Console.WriteLine($"Network:  {network}");
        System.Console.WriteLine($"Filters:  {convolution.W.Name} {w.ShapeString}: {count} filters of {fh}x{fw}" +
            (channels > 1 ? $", channel 0 of {channels} drawn (as the book's filters[i, 0])" : "") +
            (FilterGrid.Drawn(count) < count ? $"; the first {FilterGrid.Drawn(count)} drawn" : ""));
        // Checked before the file is opened, so a picture too large to draw leaves no file behind.
        var layout = FilterGrid.Layout(FilterGrid.Drawn(count), fh, fw);
        AtomicFile.Write(output, stream => layout = FilterGrid.WritePng(stream, w));
        System.Console.WriteLine($"Grid:     {layout.Rows} row{(layout.Rows == 1 ? "" : "s")} of up to {FilterGrid.Columns}, each weight {layout.Scale}x{layout.Scale} px; per filter, its smallest weight black and its largest white");
        System.Console.WriteLine($"Wrote {output} ({layout.Width}x{layout.Height} pixels)");
        return 0;
    }
}
