using System.CommandLine;
using System.Globalization;
using DeepScratch.Cli.Console;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Cli.Rendering;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch predict</c>: the network's ten class probabilities for one image, as a bar chart.</summary>
internal static class PredictCommand
{
    private const int BarWidth = 40;
    private const int ShowScale = 10;

    public static Command Create()
    {
        var index = new Argument<int?>("INDEX") { Description = "The image's number in the set, from 0 (or give --image).", Arity = ArgumentArity.ZeroOrOne };
        var image = new Option<string?>("--image")
        {
            Description = $"Classify your own digit image instead ({DeepScratch.Data.DigitImage.FormatNames}, any size, colour or grey), prepared as MNIST was. Default model: the most accurate book network in the data folder.",
            HelpName = "FILE",
        };
        var showInput = new Option<string?>("--show-input") { Description = "With --image: write the 28x28 input the network saw as a PNG (enlarged 10x).", HelpName = "OUT.png" };
        var weights = CommonOptions.Weights();
        var set = CommonOptions.Set();
        var data = CommonOptions.Data();
        var dataset = CommonOptions.Dataset();
        var bookModel = CommonOptions.BookModel();
        var command = new Command("predict", "Classify one image (a test-set INDEX or your own --image FILE): the ten class probabilities as a bar chart, the prediction.")
        {
            index, image, showInput, weights, bookModel, set, data, dataset,
        };
        command.SetAction(result => ErrorReporter.Run(() =>
        {
            int? number = result.GetValue(index);
            string? imagePath = result.GetValue(image);
            string? showPath = result.GetValue(showInput);
            if (imagePath is not null)
            {
                if (number is not null)
                {
                    throw new UserError("give an INDEX or --image FILE, not both.");
                }

                if (result.GetResult(set) is { Implicit: false } || result.GetResult(dataset) is { Implicit: false })
                {
                    throw new UserError("--set and --dataset choose a test-set image; they do not apply to --image.");
                }

                return RunImage(imagePath, showPath, result.GetValue(weights), result.GetValue(data), result.GetValue(bookModel));
            }

            if (showPath is not null)
            {
                throw new UserError("--show-input needs --image FILE.");
            }

            if (number is null)
            {
                // Worded as the parser's own "missing" messages, since INDEX is optional only because --image can replace it.
                throw new UserError("missing INDEX for 'predict' (the image's number in the set, from 0), or --image FILE for your own image (see 'deepscratch predict --help').");
            }

            return Run(
                number.Value,
                result.GetValue(weights),
                CommonOptions.ParseSplit(result.GetValue(set)!),
                result.GetValue(data),
                CommonOptions.RequestedDataset(result, dataset),
                result.GetValue(bookModel));
        }));
        return command;
    }

    /// <summary><c>predict --image</c>: the user's own digit, prepared by <see cref="DigitImage"/>, through the same engine.</summary>
    private static int RunImage(string imagePath, string? showPath, string? weightsPath, string? dataDir, string? force)
    {
        CommonOptions.CheckInputFile(imagePath, "--image");
        CommonOptions.CheckOutput(showPath, "--show-input", (imagePath, "--image"), (weightsPath, "--weights"));
        // The image first: an unreadable or empty one is reported before any model is looked for or downloaded.
        var input = DigitImage.Load(imagePath);
        var store = CommonOptions.Store(dataDir);
        string path = weightsPath is null ? DefaultImageModel(store) : CommonOptions.ResolveWeights(weightsPath, store);
        var model = ModelFile.Load(path, force);
        // Ten classes too: a 784->7 network's bars would not be digits (serve refuses it alike).
        DigitImage.RequireDigitClassifier(model, path, "predict --image");
        var p = Classify(model, input.Pixels);
        if (showPath is not null)
        {
            AtomicFile.Write(showPath, stream => DigitArt.WritePng(stream, input.ToBytes(), DigitImage.Size, DigitImage.Size, ShowScale));
        }

        var (x, y, w, h) = input.InkBox;
        System.Console.WriteLine($"Image {Path.GetFileName(imagePath)} ({input.SourceWidth}x{input.SourceHeight}, {(input.Inverted ? "dark ink on light, inverted" : "light ink on dark")}, ink threshold {input.Threshold}, ink box {w}x{h} at ({x}, {y})), network {Path.GetFileName(path)}");
        // A model trained on Fashion-MNIST names its classes, as predict INDEX does.
        var kind = ModelFile.DatasetFor(path, null);
        int predicted = PrintBars(p, kind);
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Predicted: {CommonOptions.ClassLabel(kind, predicted)} (probability {p[predicted]:0.0000})"));
        if (showPath is not null)
        {
            System.Console.WriteLine($"Wrote {showPath} (the 28x28 input, {DigitImage.Size * ShowScale}x{DigitImage.Size * ShowScale} pixels)");
        }

        return 0;
    }

    /// <summary>The most accurate of the book's networks already in the data folder; else the chapter 3 MLP, fetched if missing.</summary>
    private static string DefaultImageModel(DataStore store) =>
        Catalog.BookWeightsByAccuracy.Select(store.Find).FirstOrDefault(p => p is not null)
        ?? CommonOptions.ResolveWeights(null, store);

    /// <summary>The ten probabilities for one float input in [0, 1], through the compiled engine when the network has one.</summary>
    private static float[] Classify(IClassifier model, float[] pixels)
    {
        var session = model.CreatePredictor(1);
        float[] p;
        if (session is null)
        {
            p = model.Predict(new DeepScratch.Tensors.Tensor(pixels, [1, .. model.InputShape])).Span.ToArray();
        }
        else
        {
            p = new float[session.Classes];
            session.Predict(pixels, 1, p);
        }

        Evaluation.ThrowIfNotFinite(model, p, p.Length, 0, "image");
        return p;
    }

    /// <summary>The bar chart, one line a class; returns the predicted class.</summary>
    private static int PrintBars(ReadOnlySpan<float> p, DatasetKind kind)
    {
        int predicted = 0;
        for (int c = 1; c < p.Length; c++)
        {
            if (p[c] > p[predicted])
            {
                predicted = c;
            }
        }

        var names = Catalog.ClassNames(kind);
        int nameWidth = names?.Max(n => n.Length) ?? 0;
        for (int c = 0; c < p.Length; c++)
        {
            int width = (int)Math.Round(p[c] * BarWidth);
            string bar = new string('█', width).PadRight(BarWidth);
            string mark = c == predicted ? "  <- predicted" : "";
            string name = names is null ? "" : " " + Catalog.ClassName(kind, c).PadRight(nameWidth);
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c}{name} │{bar}│ {p[c]:0.0000}{mark}"));
        }

        return predicted;
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
        int label = image.Label;
        System.Console.WriteLine($"Image {index} of the {image.SetName}, network {Path.GetFileName(path)}");
        var p = y.Span;
        int predicted = PrintBars(p, kind);

        string verdict = predicted == label ? "correct" : "wrong";
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Predicted: {CommonOptions.ClassLabel(kind, predicted)} (probability {p[predicted]:0.0000}), label: {CommonOptions.ClassLabel(kind, label)} — {verdict}"));
        return 0;
    }
}
