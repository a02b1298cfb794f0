using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary>
/// <c>deepscratch filters</c>: what the first convolution layer learned, its filters as a grid of grey squares
/// (chapter 7's <c>visualize_filter.py</c>), for a trained network (<c>--weights</c>).
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
        var command = new Command("filters", "Draw the first convolution layer's filters as a grid (the book's visualize_filter.py).")
        {
            weights, output,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(result.GetValue(weights), result.GetValue(output)!)));
        return command;
    }

    private static int Run(string? weightsPath, string output)
    {
        if (weightsPath is null)
        {
            throw new UserError("filters needs --weights FILE: a convolutional network such as the book's params.pkl.");
        }

        CommonOptions.CheckInputFile(weightsPath, "--weights");
        CommonOptions.CheckOutput(output, "--out", (weightsPath, "the model file"));
        var model = ModelFile.Load(weightsPath);
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
            (channels > 1 ? $", channel 0 of {channels} drawn (as the book's filters[i, 0])" : ""));
        (int Width, int Height, int Rows, int Scale) layout = default;
        AtomicFile.Write(output, stream => layout = FilterGrid.WritePng(stream, w));
        System.Console.WriteLine($"Grid:     {layout.Rows} row{(layout.Rows == 1 ? "" : "s")} of up to {FilterGrid.Columns}, each weight {layout.Scale}x{layout.Scale} px; per filter, its smallest weight black and its largest white");
        System.Console.WriteLine($"Wrote {output} ({layout.Width}x{layout.Height} pixels)");
        return 0;
    }
}
