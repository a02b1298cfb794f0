using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using DeepScratch.Cli.Commands;
using DeepScratch.Cli.Console;

namespace DeepScratch.Cli;

/// <summary>The <c>deepscratch</c> command: the book's networks from the terminal.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the exit code (0 success, 2 usage, 3 data, 70 internal).</summary>
    public static int Main(string[] args)
    {
        System.Console.OutputEncoding = Encoding.UTF8;
        var root = new RootCommand("DeepScratch: the networks of \"Deep Learning from Scratch\" in C#.")
        {
            EvalCommand.Create(),
            ShowCommand.Create(),
            PredictCommand.Create(),
            InspectCommand.Create(),
            GatesCommand.Create(),
            TrainCommand.Create(),
            ConvertCommand.Create(),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command == root ? "" : $" {parsed.CommandResult.Command.Name}";
            var error = parsed.Errors[0];
            string? option = error.SymbolResult switch
            {
                OptionResult o => o.Option.Name,
                ArgumentResult { Parent: OptionResult o } => o.Option.Name,
                _ => null,
            };
            string message = option is null || error.Message.Contains(option, StringComparison.Ordinal) ? error.Message : $"{option}: {error.Message}";
            ErrorReporter.Write($"{message} (see 'deepscratch{command} --help').");
            return ErrorReporter.UsageExit;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e);
        }
    }
}
