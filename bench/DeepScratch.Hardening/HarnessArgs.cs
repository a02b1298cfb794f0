using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepScratch.Hardening;

/// <summary>
/// The one command line of every harness: <c>--name VALUE</c> pairs from the harness's fixed set. A usage mistake is
/// reported in one line <c>hardening NAME: ...</c> on stderr and gives exit 2 (<see cref="Program.UsageMistake"/>).
/// Shared options are spelled alike everywhere: <c>--seed N</c>, <c>--seconds S</c>, <c>--json FILE</c>,
/// <c>--data DIR</c> (default $DEEPSCRATCH_DATA, then ../shared/data, as the bench project does) and <c>--cli PATH</c>.
/// </summary>
internal sealed class HarnessArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private HarnessArgs(string harness) => Harness = harness;

    /// <summary>The harness's name, the prefix of every message.</summary>
    public string Harness { get; }

    /// <summary>Parses <paramref name="args"/>; null (after printing one line on stderr) when they are wrong.</summary>
    public static HarnessArgs? Parse(string harness, string[] args, params string[] allowed)
    {
        var parsed = new HarnessArgs(harness);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!allowed.Contains(args[i]))
            {
                return parsed.Mistake<HarnessArgs>($"unknown option '{args[i]}' (options: {string.Join(", ", allowed)})");
            }

            if (i + 1 >= args.Length)
            {
                return parsed.Mistake<HarnessArgs>($"{args[i]} needs a value");
            }

            parsed._values[args[i]] = args[i + 1];
        }

        // Checked before the run, not after it: an unwritable report or output folder is a usage mistake (exit 2).
        if (parsed.Json is { } json)
        {
            try
            {
                DeepScratch.Serialization.AtomicFile.CheckWritable(json);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                return parsed.Mistake<HarnessArgs>($"--json: {e.Message}");
            }
        }

        if (parsed.Text("--out") is { } output && File.Exists(output))
        {
            return parsed.Mistake<HarnessArgs>($"--out {output}: it is a file; give a folder (created when absent).");
        }

        return parsed;
    }

    /// <summary>The text given for <paramref name="name"/>, or null.</summary>
    public string? Text(string name) => _values.GetValueOrDefault(name);

    /// <summary>The <c>--json FILE</c> to write the report to, or null.</summary>
    public string? Json => Text("--json");

    /// <summary>The data folder: <c>--data</c>, else $DEEPSCRATCH_DATA, else ../shared/data.</summary>
    public string Data => Text("--data")
        ?? (Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA") is { Length: > 0 } data ? data : Path.Combine("..", "shared", "data"));

    /// <summary>The built CLI: <c>--cli</c>, else <see cref="Cli.DefaultPath"/>.</summary>
    public string Cli => Text("--cli") ?? Hardening.Cli.DefaultPath;

    /// <summary>The seed (<c>--seed</c>, any whole number, default 1), null (reported) when wrong.</summary>
    public int? Seed => Integer("--seed", 1, int.MinValue);

    /// <summary>The number given for <paramref name="name"/> (at least <paramref name="min"/>), the default when absent, null (reported) when wrong.</summary>
    public double? Number(string name, double fallback, double min)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value >= min
            ? value
            : Mistake<double?>($"{name} must be a number >= {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'");
    }

    /// <summary>The whole number given for <paramref name="name"/> (at least <paramref name="min"/>), the default when absent, null (reported) when wrong.</summary>
    public int? Integer(string name, int fallback, int min)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min
            ? value
            : Mistake<int?>($"{name} must be a whole number >= {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'");
    }

    /// <summary>Reports a usage mistake in one line; returns the default of <typeparamref name="T"/> (null).</summary>
    public T? Mistake<T>(string message)
    {
        Console.Error.WriteLine($"hardening {Harness}: {message}");
        return default;
    }
}

/// <summary>How every harness ends: the failed checks above, the last line (<c>PASS</c> or <c>FAIL: N checks failed</c>), the JSON.</summary>
internal static class HarnessOutput
{
    /// <summary>One JSON style for every report: camelCase names, enums as text, indented.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Writes <paramref name="report"/> to <paramref name="json"/> (when given), prints each failed check and the last
    /// line to <paramref name="output"/>; returns exit 0 when none failed, 1 otherwise.
    /// </summary>
    public static int Finish(TextWriter output, string? json, object report, IReadOnlyList<string> failedChecks)
    {
        if (json is not null)
        {
            string text = JsonSerializer.Serialize(report, report.GetType(), Json);
            DeepScratch.Serialization.AtomicFile.Write(json, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
        }

        foreach (string check in failedChecks)
        {
            output.WriteLine($"failed: {check}");
        }

        output.WriteLine(LastLine(failedChecks.Count));
        return failedChecks.Count == 0 ? Program.Passed : Program.ChecksFailed;
    }

    /// <summary><c>PASS</c>, or <c>FAIL: N checks failed</c>.</summary>
    public static string LastLine(int failedChecks) =>
        failedChecks == 0 ? "PASS" : $"FAIL: {failedChecks} check{(failedChecks == 1 ? "" : "s")} failed";
}
