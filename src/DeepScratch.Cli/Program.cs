using System.CommandLine;
using System.CommandLine.Help;
using System.Text;
using DeepScratch.Cli.Commands;
using DeepScratch.Cli.Console;

namespace DeepScratch.Cli;

/// <summary>The <c>deepscratch</c> command: the book's networks from the terminal.</summary>
public static class Program
{
    /// <summary>
    /// Runs the command line and returns the exit code: 0 success, 2 usage mistake, 3 missing or malformed data or
    /// weights, 4 training diverged (nothing saved), 70 internal error, 130 / 143 train interrupted by SIGINT / SIGTERM
    /// (nothing saved).
    /// </summary>
    public static int Main(string[] args)
    {
        System.Console.OutputEncoding = Encoding.UTF8;
        // Not RootCommand: its name is the executable's (DeepScratch.Cli when run as a .NET tool), and the help's usage
        // lines must show the command the user types.
        var root = new Command("deepscratch", "DeepScratch: the networks of \"Deep Learning from Scratch\" in C#.")
        {
            new HelpOption(),
            new VersionOption(),
            EvalCommand.Create(),
            ShowCommand.Create(),
            PredictCommand.Create(),
            InspectCommand.Create(),
            GatesCommand.Create(),
            TrainCommand.Create(),
            ConvertCommand.Create(),
            ExportCommand.Create(),
            MisclassifiedCommand.Create(),
            FiltersCommand.Create(),
            ServeCommand.Create(),
        };
        // No command: the help, on stdout with exit 0, as `dotnet` alone does (the user asked what there is).
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command == root ? "" : $" {parsed.CommandResult.Command.Name}";
            string message = ParseErrorText.Explain(root, parsed);
            ErrorReporter.Write(message.EndsWith('?') ? $"{message} See 'deepscratch{command} --help'." : $"{message} (see 'deepscratch{command} --help').");
            return DeepScratch.Data.ExitCodes.Usage;
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
