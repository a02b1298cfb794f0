using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch show</c>: one image with its label and shapes, in the terminal and as a PNG (the book's <c>mnist_show.py</c>).</summary>
internal static class ShowCommand
{
    private const int PngScale = 10;

    public static Command Create()
    {
        var index = new Argument<int>("INDEX") { Description = "The image's number in the set, from 0." };
        var set = CommonOptions.Set();
        var output = new Option<string?>("--out") { Description = "PNG file to write (default digit-INDEX.png for MNIST, fashion-mnist-SET-INDEX.png for Fashion-MNIST).", HelpName = "FILE.png" };
        var data = CommonOptions.Data();
        var dataset = CommonOptions.Dataset(modelDefault: false);
        var command = new Command("show", "Show an image: its label, its shapes (784 flat, then 28x28), the digit in the terminal and as an enlarged PNG.")
        {
            index, set, output, data, dataset,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(
            result.GetValue(index),
            CommonOptions.ParseSplit(result.GetValue(set)!),
            result.GetValue(output),
            result.GetValue(data),
            CommonOptions.RequestedDataset(result, dataset))));
        return command;
    }

    /// <param name="requested">The --dataset given, or null: then the one rule picks (no model here, so MNIST).</param>
    private static int Run(int index, DatasetSplit split, string? output, string? dataDir, DatasetKind? requested)
    {
        var kind = ModelFile.DatasetFor(null, requested);
        string png = output ?? Catalog.ImageFileName(kind, split, index);
        CommonOptions.CheckOutput(png, "--out");
        var store = CommonOptions.Store(dataDir);
        var paths = store.Ensure(Mnist.Files(kind, split), new ConsoleProgress());
        CommonOptions.CheckOutput(png, "--out", (paths[0], "the images file"), (paths[1], "the labels file"));
        var image = CommonOptions.ReadImage(index, paths[0], paths[1], kind, split);

        var flat = Mnist.ImageTensor(image.Pixels, normalize: false);
        var square = flat.Reshape(image.Rows, image.Columns);
        System.Console.WriteLine($"Image {index} of the {image.SetName}");
        System.Console.WriteLine($"Label: {CommonOptions.ClassLabel(kind, image.Label)}");
        System.Console.WriteLine($"Shape: {flat.ShapeString}  (flat, as load_mnist(flatten=True) gives it)");
        System.Console.WriteLine($"Shape: {square.ShapeString}  (after reshape({image.Rows}, {image.Columns}))");
        System.Console.WriteLine(DigitArt.ToText(image.Pixels, image.Rows, image.Columns));

        AtomicFile.Write(png, stream => DigitArt.WritePng(stream, image.Pixels, image.Rows, image.Columns, PngScale));
        System.Console.WriteLine($"Wrote {png} ({image.Columns * PngScale}x{image.Rows * PngScale} pixels)");
        return 0;
    }
}
