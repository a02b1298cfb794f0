using System.CommandLine;
using System.Globalization;
using DeepScratch.Cli.Console;
using DeepScratch.Serialization;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch inspect</c>: what a weights file holds, before anyone uses it.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A weights file: a numpy pickle (e.g. sample_weight.pkl) or a safetensors model." };
        var bookModel = CommonOptions.BookModel();
        var command = new Command("inspect",
            "List every array in a weights file (numpy pickle or safetensors): name, shape, stored dtype and order, min / max / sum, "
            + "NaN and Inf counts when there are any, a safetensors model's metadata (architecture, dataset, accuracy), and the network's layers.")
        {
            file, bookModel,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(result.GetValue(file)!, result.GetValue(bookModel))));
        return command;
    }

    private static int Run(string path, string? force)
    {
        CommonOptions.CheckInputFile(path, "FILE");

        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        IReadOnlyList<NumpyArray> arrays;
        if (SafeTensors.LooksLikeSafeTensors(path))
        {
            var file = SafeTensors.Load(path);
            metadata = file.Metadata;
            arrays = FromSafeTensors(file);
        }
        else
        {
            arrays = NumpyPickle.Load(path);
        }

        var stats = arrays.Select(a => Stats.Of(a.Tensor.Span)).ToList();
        bool anyNonFinite = stats.Any(s => s.NaN + s.Inf > 0);
        var inv = CultureInfo.InvariantCulture;
        var rows = arrays.Select((a, i) =>
        {
            var s = stats[i];
            bool noFinite = s.Finite == 0;
            var row = new List<string>
            {
                DisplayText.Escape(a.Name),
                a.Tensor.ShapeString,
                DisplayText.Escape(a.DType),
                a.FortranOrder ? "F" : "C",
                noFinite ? "-" : s.Min.ToString("G6", inv),
                noFinite ? "-" : s.Max.ToString("G6", inv),
                s.Sum.ToString("G6", inv),
            };
            if (anyNonFinite)
            {
                row.Add(s.NaN.ToString(inv));
                row.Add(s.Inf.ToString(inv));
            }

            return row.ToArray();
        }).ToList();
        string[] header = anyNonFinite
            ? ["name", "shape", "dtype", "order", "min", "max", "sum", "nan", "inf"]
            : ["name", "shape", "dtype", "order", "min", "max", "sum"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        System.Console.WriteLine($"{path}: {arrays.Count} arrays, {arrays.Sum(a => (long)a.Tensor.Length)} values");
        if (metadata.Count > 0)
        {
            System.Console.WriteLine("metadata:");
            int keyWidth = metadata.Keys.Max(k => DisplayText.Escape(k, 60).Length);
            foreach (var (key, value) in metadata)
            {
                System.Console.WriteLine($"  {DisplayText.Escape(key, 60).PadRight(keyWidth)}  {DisplayText.Escape(value, 200)}");
            }
        }

        System.Console.WriteLine(Format(header, widths));
        System.Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            System.Console.WriteLine(Format(row, widths));
        }

        PrintNetwork(path, force);
        if (anyNonFinite)
        {
            int damaged = stats.Count(s => s.NaN + s.Inf > 0);
            System.Console.WriteLine(
                $"warning: {damaged} of {arrays.Count} arrays hold NaN or infinite values (min / max / sum are over the finite ones); "
                + "the file is damaged or was saved from a diverged run.");
        }

        return 0;
    }

    /// <summary>
    /// The network the file holds and its layers, one per line (conv settings included); a file that is no network
    /// DeepScratch can run says why in one line (inspect is for looking at any file), unless --model demanded one.
    /// </summary>
    private static void PrintNetwork(string path, string? force)
    {
        Models.IClassifier model;
        try
        {
            model = Models.ModelFile.Load(path, force);
        }
        catch (InvalidDataException e) when (force is null)
        {
            System.Console.WriteLine($"network: none DeepScratch can run ({DisplayText.Escape(e.Message.ReplaceLineEndings(" "), 300)})");
            return;
        }

        System.Console.WriteLine($"network: {DisplayText.Escape(model.Description, 200)}, input {string.Join("x", model.InputShape)}");
        foreach (string layer in Models.NetworkDescription.Of(model).Layers)
        {
            System.Console.WriteLine($"  {layer}");
        }
    }

    /// <summary>A safetensors file's tensors in the shape of pickle arrays (always row-major), with their stored dtype.</summary>
    private static List<NumpyArray> FromSafeTensors(SafeTensorsFile file) =>
        file.Tensors.Select(t => new NumpyArray(t.Key, t.Value.Shape.ToArray(), file.StoredDTypes.GetValueOrDefault(t.Key, "F32"), false, t.Value)).ToList();

    private static string Format(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i < 4 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();

    /// <summary>
    /// Min, max and sum over the finite values (the sum in double precision, so small totals of large arrays, a bias
    /// summing to ~1e-7, are shown truly), and how many values are NaN or infinite.
    /// </summary>
    private readonly record struct Stats(float Min, float Max, double Sum, long Finite, long NaN, long Inf)
    {
        public static Stats Of(ReadOnlySpan<float> values)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            double sum = 0;
            long finite = 0, nan = 0, inf = 0;
            foreach (float v in values)
            {
                if (float.IsNaN(v))
                {
                    nan++;
                }
                else if (float.IsInfinity(v))
                {
                    inf++;
                }
                else
                {
                    finite++;
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                    sum += v;
                }
            }

            return new Stats(min, max, sum, finite, nan, inf);
        }
    }
}
