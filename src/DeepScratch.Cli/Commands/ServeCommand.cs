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
            DefaultValueFactory = _ => DigitServer.DefaultPort,
            HelpName = "N",
        };
        var weights = new Option<string[]>("--weights")
        {
            Description = "A model file to offer besides the book's three networks (fetched into the data folder when missing, unless downloads are off) (a numpy pickle or a safetensors model from train or convert); repeat for several. Named by the file name without extension.",
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
        if (DigitServer.CheckPort(port) is { } wrong)
        {
            throw new UserError($"--port {wrong}");
        }

        var store = CommonOptions.Store(dataDir);
        foreach (string file in weights)
        {
            CommonOptions.CheckWeightsFile(file, store);
        }

        // The book's three networks, most accurate first (predict --image's default order), then the user's.
        var (book, note) = BookNetworks(store);
        var paths = book.Concat(weights).ToList();
        if (paths.Count == 0)
        {
            // Nothing to serve: the one error line of a missing default network.
            paths.Add(CommonOptions.ResolveWeights(null, store));
        }
        else if (note is not null)
        {
            System.Console.Error.WriteLine($"deepscratch: note: {note}");
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

    /// <summary>
    /// The book's networks to offer: all three, fetched when downloads are allowed; otherwise (or when a download
    /// fails) those in the data folder, with a one-line note naming the missing ones and how to add them.
    /// </summary>
    private static (List<string> Paths, string? Note) BookNetworks(DataStore store)
    {
        var paths = new List<string>();
        var missing = new List<DatasetFile>();
        var reasons = new List<string>();
        foreach (var file in Catalog.BookWeightsByAccuracy)
        {
            if (store.Find(file) is { } found)
            {
                paths.Add(found);
            }
            else if (store.Downloader is null)
            {
                missing.Add(file);
            }
            else
            {
                try
                {
                    paths.Add(store.Ensure(file, new ConsoleProgress()));
                }
                catch (DataUnavailableException e)
                {
                    missing.Add(file);
                    reasons.Add(e.Message.TrimEnd('.'));
                }
            }
        }

        if (missing.Count == 0)
        {
            return (paths, null);
        }

        string names = string.Join(", ", missing.Select(f => f.FileName));
        string folder = Path.GetDirectoryName(store.PathOf(missing[0]))!;
        string why = reasons.Count == 0 ? "downloads are off" : $"the download failed: {string.Join("; ", reasons)}";
        return (paths, $"not offered: the book's {names} ({why}); put {(missing.Count == 1 ? "it" : "them")} in {folder} or allow downloads (unset {DataStore.OfflineVariable}) to add {(missing.Count == 1 ? "it" : "them")}.");
    }
}
