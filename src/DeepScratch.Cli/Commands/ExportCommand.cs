using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Models;
using DeepScratch.Serialization.Onnx;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch export</c>: a model as ONNX, for ONNX Runtime and the other ONNX tools.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var weights = CommonOptions.Weights();
        var data = CommonOptions.Data();
        var bookModel = CommonOptions.BookModel();
        var onnx = new Option<string>("--onnx")
        {
            Description = $"The ONNX file to write (opset {OnnxExport.Opset}; input \"{OnnxExport.InputName}\" (N, 784) or (N, 1, 28, 28), output \"{OnnxExport.OutputName}\" (N, 10)).",
            HelpName = "OUT.onnx",
            Required = true,
        };
        var command = new Command("export", "Export a model (the book's networks or a saved one) as an ONNX model that gives the same probabilities in ONNX Runtime.")
        {
            weights, data, bookModel, onnx,
        };
        command.SetAction(r => ErrorReporter.Run(() =>
        {
            string to = r.GetValue(onnx)!;
            string? named = r.GetValue(weights);
            CommonOptions.CheckOutput(to, "--onnx", (named, "--weights"));
            string path = CommonOptions.ResolveWeights(named, CommonOptions.Store(r.GetValue(data)));
            CommonOptions.CheckOutput(to, "--onnx", (path, "--weights"));
            var model = ModelFile.Load(path, r.GetValue(bookModel));
            OnnxExport.Save(model, to);
            string input = string.Join(", ", model.InputShape);
            System.Console.WriteLine($"Wrote {to}: {model.Description}; input \"{OnnxExport.InputName}\" (N, {input}), output \"{OnnxExport.OutputName}\" (N, {model.Classes}), opset {OnnxExport.Opset}");
            return 0;
        }));
        return command;
    }
}
