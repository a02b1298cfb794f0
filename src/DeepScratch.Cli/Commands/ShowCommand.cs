using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Cli.Rendering;
using DeepScratch.Data;
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
        var output = new Option<string?>("--out") { Description = "PNG file to write (default digit-INDEX.png).", HelpName = "FILE.png" };
        var data = CommonOptions.Data();
        var dataset = CommonOptions.Dataset();
        var command = new Command("show", "Show an image: its label, its shapes (784 flat, then 28x28), the digit in the terminal and as an enlarged PNG.")
        {
            index, set, output, data, dataset,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(
            result.GetValue(index),
            CommonOptions.ParseSplit(result.GetValue(set)!),
            result.GetValue(output),
            result.GetValue(data),
            CommonOptions.ParseDataset(result.GetValue(dataset)!))));
        return command;
    }

    private static int Run(int index, DatasetSplit split, string? output, string? dataDir, DatasetKind kind)
    {
        string png = output ?? $"digit-{index}.png";
        CommonOptions.CheckOutput(png, "--out");
        var store = CommonOptions.Store(dataDir);
        var (set, setName) = CommonOptions.LoadForImage(index, store, kind, split);

        var images = set.Images;
        var flat = set.ImageTensor(index, normalize: false);
        var square = flat.Reshape(images.Rows, images.Columns);
        System.Console.WriteLine($"Image {index} of the {setName}");
        System.Console.WriteLine($"Label: {set.Labels[index]}");
        System.Console.WriteLine($"Shape: {flat.ShapeString}  (flat, as load_mnist(flatten=True) gives it)");
        System.Console.WriteLine($"Shape: {square.ShapeString}  (after reshape({images.Rows}, {images.Columns}))");
        System.Console.WriteLine(DigitArt.ToText(images.Image(index), images.Rows, images.Columns));

        var pixels = images.Image(index).ToArray();
        AtomicFile.Write(png, stream => DigitArt.WritePng(stream, pixels, images.Rows, images.Columns, PngScale));
        System.Console.WriteLine($"Wrote {png} ({images.Columns * PngScale}x{images.Rows * PngScale} pixels)");
        return 0;
    }
}
