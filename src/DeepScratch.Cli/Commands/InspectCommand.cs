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
        var command = new Command("inspect", "List every array in a weights file: name, shape, stored dtype and order, min / max / sum.")
        {
            file,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(result.GetValue(file)!)));
        return command;
    }

    private static int Run(string path)
    {
        CommonOptions.CheckInputFile(path, "FILE");

        var arrays = SafeTensors.LooksLikeSafeTensors(path) ? FromSafeTensors(path) : NumpyPickle.Load(path);
        var inv = CultureInfo.InvariantCulture;
        var rows = arrays.Select(a =>
        {
            bool empty = a.Tensor.Length == 0;
            return new[]
            {
                a.Name,
                a.Tensor.ShapeString,
                a.DType,
                a.FortranOrder ? "F" : "C",
                empty ? "-" : a.Tensor.Min().ToString("G6", inv),
                empty ? "-" : a.Tensor.Max().ToString("G6", inv),
                SumInDouble(a.Tensor.Span).ToString("G6", inv),
            };
        }).ToList();
        string[] header = ["name", "shape", "dtype", "order", "min", "max", "sum"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        System.Console.WriteLine($"{path}: {arrays.Count} arrays, {arrays.Sum(a => (long)a.Tensor.Length)} values");
        System.Console.WriteLine(Format(header, widths));
        System.Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            System.Console.WriteLine(Format(row, widths));
        }

        return 0;
    }

    /// <summary>A safetensors file's tensors in the shape of pickle arrays (always row-major), with their stored dtype.</summary>
    private static List<NumpyArray> FromSafeTensors(string path)
    {
        var file = SafeTensors.Load(path);
        return file.Tensors.Select(t => new NumpyArray(t.Key, t.Value.Shape.ToArray(), file.StoredDTypes.GetValueOrDefault(t.Key, "F32"), false, t.Value)).ToList();
    }

    /// <summary>The sum in double precision, so small totals of large arrays (a bias summing to ~1e-7) are shown truly.</summary>
    private static double SumInDouble(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static string Format(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i < 4 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
}
