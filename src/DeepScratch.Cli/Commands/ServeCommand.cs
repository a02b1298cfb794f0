using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Data;
using DeepScratch.Web;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch serve</c>: the draw-a-digit web page and its JSON API on 127.0.0.1.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "TCP port on 127.0.0.1 (0: any free port, printed when listening).",
            DefaultValueFactory = _ => 5000,
            HelpName = "N",
        };
        var weights = new Option<string[]>("--weights")
        {
            Description = "A model file to offer besides the book's networks found in the data folder (a numpy pickle or a safetensors model from train or convert); repeat for several. Named by the file name without extension.",
            HelpName = "FILE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var data = CommonOptions.Data();
        var command = new Command("serve", "Start the draw-a-digit web page (and its JSON API, POST /api/predict) on 127.0.0.1; Ctrl-C stops it.")
        {
            port, weights, data,
        };
        command.SetAction(result => ErrorReporter.Run(() => Run(result.GetValue(port), result.GetValue(weights) ?? [], result.GetValue(data))));
        return command;
    }

    private static int Run(int port, string[] weights, string? dataDir)
    {
        if (port is < 0 or > 65535)
        {
            throw new UserError($"--port must be from 0 to 65535 (0: any free port); got {port}.");
        }

        var store = CommonOptions.Store(dataDir);
        foreach (string file in weights)
        {
            CommonOptions.CheckWeightsFile(file, store);
        }

        // The book's networks already in the data folder, most accurate first (predict --image's default order), then the user's.
        var paths = Catalog.BookWeightsByAccuracy.Select(store.Find).OfType<string>().Concat(weights).ToList();
        if (paths.Count == 0)
        {
            paths.Add(CommonOptions.ResolveWeights(null, store));
        }

        var models = ServedModels.Load(paths);
        DigitServer server;
        try
        {
            server = DigitServer.StartAsync(models, port).GetAwaiter().GetResult();
        }
        catch (PortInUseException e)
        {
            throw new UserError(e.Message);
        }

        System.Console.WriteLine($"Listening on {server.Address} — Ctrl-C stops");
        System.Console.WriteLine($"Networks: {string.Join(", ", models.Models.Select(m => m.Name))} (default {models.Default.Name})");
        // The host's console lifetime turns Ctrl-C and SIGTERM into a clean stop: requests in flight finish, exit 0.
        server.WaitForShutdownAsync().GetAwaiter().GetResult();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
