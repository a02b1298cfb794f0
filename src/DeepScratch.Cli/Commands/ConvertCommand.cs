using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Models;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch convert</c>: the book's pickle weights to safetensors, which Python's safetensors and PyTorch read.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A numpy pickle, e.g. sample_weight.pkl." };
        var output = new Argument<string>("OUTPUT") { Description = "The safetensors file to write." };
        var bookModel = CommonOptions.BookModel();
        var command = new Command("convert", "Convert the book's pickle weights to a safetensors model file (the book's three networks keep their architecture).")
        {
            input, output, bookModel,
        };
        command.SetAction(r => ErrorReporter.Run(() =>
        {
            string from = r.GetValue(input)!;
            string to = r.GetValue(output)!;
            CommonOptions.CheckInputFile(from, "INPUT");
            if (string.IsNullOrWhiteSpace(to))
            {
                throw new UserError("OUTPUT needs a file name.");
            }

            CommonOptions.CheckOutput(to, "OUTPUT", (from, "INPUT, the weights file"));
            var result = ModelFile.Convert(from, to, r.GetValue(bookModel));
            foreach (string note in result.Notes)
            {
                // The notes name arrays the file chose; escaped again here as the last line of defence, as errors are.
                System.Console.Error.WriteLine($"deepscratch: note: {DeepScratch.Serialization.DisplayText.Escape(note.ReplaceLineEndings(" "))}");
            }

            System.Console.WriteLine($"Wrote {to}: {result.Arrays} arrays from {from}");
            return 0;
        }));
        return command;
    }
}
