using System.Diagnostics;

namespace DeepScratch.Tests;

/// <summary>The outcome of one child process.</summary>
internal sealed record ProcessOutcome(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Everything it printed, for assertion messages.</summary>
    public string Output => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the .NET CLI (<c>dotnet run FILE.cs</c>, <c>dotnet tool install</c>, a console build) or a program it made as a
/// child process to the end, the way the README and chapter-script tests need it: output captured, no MSBuild node or
/// compiler server left running (one would hold the redirected pipes open, and the read would never end), and
/// killed with its whole tree after <c>limit</c>.
/// </summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>; the
    /// variables in <paramref name="environment"/> are set last (removed, when null).
    /// </summary>
    /// <exception cref="TimeoutException">It did not finish within <paramref name="limit"/> (it is killed).</exception>
    public static ProcessOutcome Run(
        string fileName, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return Run(start, limit);
    }

    /// <summary>
    /// Runs a program the tests project references (<paramref name="dll"/>, copied beside the tests) through
    /// <c>dotnet</c>, its stderr split into lines: the benchmark's and the harnesses' argument checks.
    /// </summary>
    /// <exception cref="TimeoutException">It did not finish within 60 s (it is killed).</exception>
    public static (int Exit, string Stdout, string[] StderrLines) RunReferencedProgram(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var outcome = Run(start, TimeSpan.FromSeconds(60));
        return (outcome.ExitCode, outcome.Stdout, outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Starts <paramref name="start"/> (its output must be redirected) and reads its output until it exits.</summary>
    /// <exception cref="TimeoutException">It did not finish within <paramref name="limit"/> (it is killed with its children).</exception>
    public static ProcessOutcome Run(ProcessStartInfo start, TimeSpan limit)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in {limit.TotalSeconds} s; stderr so far:\n{stderr.Result}");
        }

        return new ProcessOutcome(process.ExitCode, stdout.Result, stderr.Result);
    }
}
