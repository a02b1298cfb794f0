using System.Diagnostics;
using System.Reflection;

namespace DeepScratch.Tests.Cli;

/// <summary>The outcome of one <c>deepscratch</c> run.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// Runs the real <c>deepscratch</c> program (built beside the tests) in a child process, offline, so the tests see
/// exactly what a user sees: stdout, stderr and the exit code.
/// </summary>
internal static class CliRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>The CLI built beside the tests (same configuration), recorded by the test project at build time.</summary>
    internal static string CliPath { get; } = Path.GetFullPath(
        typeof(CliRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "DeepScratchCli").Value!);

    public static CliResult Run(string workingDirectory, params string[] args) => Run(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>How <see cref="Run(string, string[])"/> starts the CLI (stdout and stderr redirected), for tests that drive the process themselves.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Offline, no data folder or debug switch inherited, a private cache: the harnesses' settings, written once there.
        var start = DeepScratch.Hardening.Cli.StartInfo(CliPath, workingDirectory, args);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    public static CliResult Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run(workingDirectory, environment, Timeout, args);

    /// <summary>Runs the CLI with a longer limit than the usual, for whole-test-set runs of the larger networks.</summary>
    public static CliResult Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var (exitCode, stdout, stderr) = ChildProcess.Run(StartInfo(workingDirectory, environment, args), timeout);
        return new CliResult(exitCode, stdout, stderr);
    }
}
