using System.Diagnostics;

namespace DeepScratch.Hardening;

/// <summary>Runs a child process to its end with a time limit, reading stdout and stderr as they come.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="start"/> (its stdout and stderr redirected here) for at most <paramref name="limit"/>:
    /// exit code, stdout, stderr. Both pipes are read asynchronously from the start, so a chatty child cannot block
    /// on a full pipe and the time limit holds; on timeout the whole process tree is killed.
    /// </summary>
    /// <exception cref="HarnessSetupException">The process did not start, or ran longer than <paramref name="limit"/>.</exception>
    public static (int Exit, string Stdout, string Stderr) Run(ProcessStartInfo start, TimeSpan limit, string what)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new HarnessSetupException($"{what}: {start.FileName} did not start");
        Cleanup.Track(process);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new HarnessSetupException($"{what} ran longer than {limit.TotalSeconds:0} s (killed)");
            }

            return (process.ExitCode, stdout.Result, stderr.Result);
        }
        finally
        {
            Cleanup.Untrack(process);
        }
    }
}

/// <summary>Runs the built CLI (<c>dotnet DeepScratch.Cli.dll</c>, or an executable) offline, as a user would from a shell.</summary>
internal static class Cli
{
    /// <summary>The CLI the harnesses run when no <c>--cli</c> is given, relative to the repository root.</summary>
    public static readonly string DefaultPath = Path.Combine("src", "DeepScratch.Cli", "bin", "Release", "net10.0", "DeepScratch.Cli.dll");

    /// <summary>The start info of one CLI run: offline, no data folder or debug switch from the environment, a private cache.</summary>
    public static ProcessStartInfo StartInfo(string cli, string workDir, IEnumerable<string> args)
    {
        bool dll = cli.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(dll ? "dotnet" : cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir,
        };
        if (dll)
        {
            start.ArgumentList.Add(cli);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DEEPSCRATCH_OFFLINE"] = "1";
        start.Environment.Remove("DEEPSCRATCH_DATA");
        start.Environment.Remove("DEEPSCRATCH_DEBUG");
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(workDir, "cache");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return start;
    }

    /// <summary>Runs the CLI to the end (killed after <paramref name="limit"/>): exit code, stdout, stderr.</summary>
    /// <exception cref="HarnessSetupException">It did not start or ran longer than <paramref name="limit"/>.</exception>
    public static (int Exit, string Stdout, string Stderr) Run(string cli, string workDir, TimeSpan limit, params string[] args) =>
        ChildProcess.Run(StartInfo(cli, workDir, args), limit, $"deepscratch {string.Join(' ', args)}");
}
