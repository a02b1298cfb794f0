using System.Diagnostics;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Runs only where <c>/usr/bin/python3</c> with numpy is installed (Debian: python3-numpy); elsewhere the test is
/// reported as skipped. The suite never needs Python otherwise: the reference files are embedded in the tests that use it.
/// </summary>
public sealed class PythonNumpyFactAttribute : FactAttribute
{
    /// <summary>The interpreter the reference scripts are written for.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Skips the test when Python or numpy is missing, except in CI (.ci/run installs them), where it runs and fails.</summary>
    public PythonNumpyFactAttribute()
    {
        if (!HasModule("numpy") && !TestData.InCi)
        {
            Skip = $"{Python} with numpy is not installed (apt-get install -y python3-numpy).";
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Modules = new();

    /// <summary>Whether <see cref="Python"/> can import <paramref name="module"/> (asked once per module per run).</summary>
    internal static bool HasModule(string module) => Modules.GetOrAdd(module, static m =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(Python, ["-c", $"import {m}"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            process.WaitForExit(30_000);
            return process.HasExited && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });
}
