using System.Diagnostics;

namespace DeepScratch.Hardening.Faults;

/// <summary>Options of the killed-saves harness.</summary>
/// <param name="Cli">The CLI to run: a .dll (run with <c>dotnet</c>) or an executable.</param>
/// <param name="Weights">The book's <c>sample_weight.pkl</c>, the input of <c>convert</c> and <c>export</c>.</param>
/// <param name="Seed">Seeds the kill moments.</param>
/// <param name="Kills">Kills per command.</param>
/// <param name="Seconds">Stops starting new kills after this long (0: no limit); every command gets its share.</param>
public sealed record KilledSavesOptions(string Cli, string Weights, int Seed = 1, int Kills = 100, double Seconds = 0);

/// <summary>
/// The figures of one command. Each kill leaves each destination absent (it was absent before), old (byte-identical to
/// the complete file it held before) or new (byte-identical to an unkilled run's output); anything else is corrupt.
/// </summary>
/// <param name="Command">The command line, with DIR for the folder.</param>
/// <param name="RunSeconds">How long an unkilled run took at the end (the kill moments are spread over it, following the runs that finish).</param>
/// <param name="Kills">Runs killed (SIGKILL) before they ended.</param>
/// <param name="FinishedFirst">Runs that ended before their kill moment (their files must be new).</param>
/// <param name="Absent">Destinations found absent after a kill (they were absent before it).</param>
/// <param name="Old">Destinations found holding the old complete file after a kill.</param>
/// <param name="New">Destinations found holding the complete new file after a kill.</param>
/// <param name="Corrupt">Destinations holding anything else, or lost (must be 0).</param>
/// <param name="MaxTemporaries">The most temporary files seen in the folder after any run (at most 1).</param>
/// <param name="TemporariesAfterCleanRun">Temporary files left after a last, unkilled run (must be 0).</param>
/// <param name="NotSigkilled">Kills whose process did not end by SIGKILL (exit 137) (must be 0).</param>
public sealed record KillFigures(
    string Command, double RunSeconds, int Kills, int FinishedFirst, int Absent, int Old, int New, int Corrupt,
    int MaxTemporaries, int TemporariesAfterCleanRun, int NotSigkilled);

/// <summary>The harness's report: one row per command and the first few problems, spelled out.</summary>
public sealed record KilledSavesReport(IReadOnlyList<KillFigures> Commands, IReadOnlyList<string> Problems, double Seconds)
{
    /// <summary>Whether no file was corrupt or lost, temporaries stayed at most 1 and were 0 after a clean run.</summary>
    public bool Passed => Problems.Count == 0 && Commands.All(c => c.Corrupt == 0 && c.MaxTemporaries <= 1 && c.TemporariesAfterCleanRun == 0 && c.NotSigkilled == 0);
}

/// <summary>
/// Runs the real CLI's saving commands (<c>train --out --plot</c>, <c>convert</c>, <c>export --onnx</c>) as processes and
/// SIGKILLs them at seeded random moments spread over a normal run (half of them over its last third, where the files
/// are written), the destinations alternately absent and holding an old complete file, and checks every destination
/// after every kill, and the temporary files in the folder.
/// </summary>
public static class KilledSaves
{
    /// <summary>One command: its arguments in a folder, its destinations, and how to make their old versions.</summary>
    private sealed record Spec(string Name, Func<string, string[]> Args, string[] Destinations);

    /// <summary>Runs the harness; <paramref name="log"/> gets a line per problem as it happens.</summary>
    public static KilledSavesReport Run(KilledSavesOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var random = new Random(options.Seed);
        var problems = new List<string>();
        void Problem(string text)
        {
            log?.Invoke(text);
            if (problems.Count < 20)
            {
                problems.Add(text);
            }
        }

        var scratch = new ScratchFolder("kills");
        string root = scratch.Path;
        string weights = Path.GetFullPath(options.Weights);
        options = options with { Cli = Path.GetFullPath(options.Cli) };
        Spec Train(int seed) => new(
            "train",
            d => ["train", "--dataset", "fashion-mnist", "--iterations", "20", "--eval-sample", "100", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--out", Path.Combine(d, "model.safetensors"), "--plot", Path.Combine(d, "curve.png")],
            ["model.safetensors", "curve.png"]);
        var specs = new[]
        {
            Train(1),
            new Spec("convert", d => ["convert", weights, Path.Combine(d, "weights.safetensors")], ["weights.safetensors"]),
            new Spec("export", d => ["export", "--weights", weights, "--onnx", Path.Combine(d, "model.onnx")], ["model.onnx"]),
        };

        try
        {
            // The old complete files: another training run's model and curve, that model as safetensors and as ONNX.
            string oldDir = Directory.CreateDirectory(Path.Combine(root, "old")).FullName;
            RunToEnd(options.Cli, root, Train(2).Args(oldDir));
            RunToEnd(options.Cli, root, ["export", "--weights", Path.Combine(oldDir, "model.safetensors"), "--onnx", Path.Combine(oldDir, "model.onnx")]);
            var old = new Dictionary<string, byte[]>
            {
                ["model.safetensors"] = File.ReadAllBytes(Path.Combine(oldDir, "model.safetensors")),
                ["curve.png"] = File.ReadAllBytes(Path.Combine(oldDir, "curve.png")),
                ["weights.safetensors"] = File.ReadAllBytes(Path.Combine(oldDir, "model.safetensors")),
                ["model.onnx"] = File.ReadAllBytes(Path.Combine(oldDir, "model.onnx")),
            };

            var rows = new List<KillFigures>();
            for (int c = 0; c < specs.Length; c++)
            {
                var spec = specs[c];
                string refDir = Directory.CreateDirectory(Path.Combine(root, spec.Name + "-reference")).FullName;
                double runSeconds = RunToEnd(options.Cli, root, spec.Args(refDir));
                var expected = spec.Destinations.ToDictionary(d => d, d => File.ReadAllBytes(Path.Combine(refDir, d)));
                foreach (string d in spec.Destinations)
                {
                    if (expected[d].AsSpan().SequenceEqual(old[d]))
                    {
                        throw new HarnessSetupException($"{spec.Name}: the old {d} equals the new one; the harness could not tell them apart");
                    }
                }

                string dir = Directory.CreateDirectory(Path.Combine(root, spec.Name)).FullName;
                int kills = 0, finished = 0, absent = 0, olds = 0, news = 0, corrupt = 0, maxTemps = 0, notSigkilled = 0;
                double deadline = options.Seconds > 0 ? options.Seconds * (c + 1) / specs.Length : double.PositiveInfinity;
                for (int i = 0; i < options.Kills && clock.Elapsed.TotalSeconds < deadline; i++)
                {
                    bool withOld = i % 2 == 1;
                    foreach (string d in spec.Destinations)
                    {
                        string path = Path.Combine(dir, d);
                        if (withOld)
                        {
                            File.WriteAllBytes(path, old[d]);
                        }
                        else
                        {
                            File.Delete(path);
                        }
                    }

                    // Half the moments anywhere in a run, half in its last third (the saves) and a little past its end.
                    double at = random.Next(2) == 0 ? random.NextDouble() * runSeconds : runSeconds * (0.67 + 0.43 * random.NextDouble());
                    var runClock = Stopwatch.StartNew();
                    using var process = Start(options.Cli, root, spec.Args(dir));
                    using var tracked = Cleanup.Scope(process);
                    bool ended = process.WaitForExit(TimeSpan.FromSeconds(at));
                    if (ended)
                    {
                        process.WaitForExit();
                        finished++;

                        // The machine's load changes: follow the length of the runs that end, so the kills keep landing in them.
                        runSeconds = (0.7 * runSeconds) + (0.3 * runClock.Elapsed.TotalSeconds);
                    }
                    else
                    {
                        process.Kill();
                        process.WaitForExit();
                        if (process.ExitCode == 0)
                        {
                            // It ended on its own between the wait and the kill.
                            ended = true;
                            finished++;
                        }
                        else
                        {
                            kills++;
                            if (process.ExitCode != 128 + 9)
                            {
                                notSigkilled++;
                                Problem($"{spec.Name} kill {i}: exit code {process.ExitCode}, not 137 (SIGKILL)");
                            }
                        }
                    }

                    foreach (string d in spec.Destinations)
                    {
                        string path = Path.Combine(dir, d);
                        byte[]? now = File.Exists(path) ? File.ReadAllBytes(path) : null;
                        string outcome = now is null ? (withOld ? "lost" : "absent")
                            : now.AsSpan().SequenceEqual(expected[d]) ? "new"
                            : withOld && now.AsSpan().SequenceEqual(old[d]) ? "old"
                            : "corrupt";
                        if (ended && outcome != "new")
                        {
                            outcome = $"{outcome} after a finished run (exit {process.ExitCode})";
                        }

                        switch (outcome)
                        {
                            case "absent": absent++; break;
                            case "old": olds++; break;
                            case "new": news += ended ? 0 : 1; break;
                            default:
                                corrupt++;
                                Problem($"{spec.Name} {(ended ? "run" : "kill")} {i} at {at:0.000} s: {d} is {outcome}");
                                break;
                        }
                    }

                    int temps = Temporaries(dir);
                    maxTemps = Math.Max(maxTemps, temps);
                    if (temps > 1)
                    {
                        Problem($"{spec.Name} kill {i}: {temps} temporary files in the folder");
                    }
                }

                // A last, unkilled run removes any leftover and leaves none of its own.
                RunToEnd(options.Cli, root, spec.Args(dir));
                int after = Temporaries(dir);
                if (after != 0)
                {
                    Problem($"{spec.Name}: {after} temporary files left after a clean run");
                }

                foreach (string d in spec.Destinations.Where(d => !File.ReadAllBytes(Path.Combine(dir, d)).AsSpan().SequenceEqual(expected[d])))
                {
                    Problem($"{spec.Name}: {d} after a clean run differs from the reference run's");
                }

                rows.Add(new KillFigures(string.Join(' ', spec.Args("DIR")), runSeconds, kills, finished, absent, olds, news, corrupt, maxTemps, after, notSigkilled));
            }

            return new KilledSavesReport(rows, problems, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            scratch.Dispose();
        }
    }

    /// <summary>Hidden files in <paramref name="folder"/>: the temporary files of saves (and of write probes).</summary>
    public static int Temporaries(string folder) =>
        Directory.GetFiles(folder).Count(p => Path.GetFileName(p).StartsWith('.'));

    /// <summary>Runs the CLI to its end; returns its wall time in seconds.</summary>
    /// <exception cref="HarnessSetupException">It failed (the message holds its stderr) or ran over 5 minutes.</exception>
    private static double RunToEnd(string cli, string workingDirectory, string[] args)
    {
        var clock = Stopwatch.StartNew();
        var (exit, _, stderr) = Cli.Run(cli, workingDirectory, TimeSpan.FromMinutes(5), args);
        if (exit != 0)
        {
            throw new HarnessSetupException($"deepscratch {string.Join(' ', args)} failed (exit {exit}): {stderr.Trim()}");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static Process Start(string cli, string workingDirectory, string[] args)
    {
        var process = Process.Start(Cli.StartInfo(cli, workingDirectory, args))!;
        // Drained and dropped: a full pipe would stall the child and skew the kill moments.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
