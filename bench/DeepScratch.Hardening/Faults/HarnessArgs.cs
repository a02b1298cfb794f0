using System.Globalization;

namespace DeepScratch.Hardening.Faults;

/// <summary>
/// The harnesses' small command line: <c>--name VALUE</c> pairs from a fixed set; anything else is a usage mistake
/// reported in one line (exit 2).
/// </summary>
internal sealed class HarnessArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private HarnessArgs()
    {
    }

    /// <summary>Parses <paramref name="args"/>; null (after printing one line on stderr) when they are wrong.</summary>
    public static HarnessArgs? Parse(string harness, string[] args, params string[] allowed)
    {
        var parsed = new HarnessArgs();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!allowed.Contains(args[i]))
            {
                Console.Error.WriteLine($"hardening {harness}: unknown option '{args[i]}' (options: {string.Join(", ", allowed)})");
                return null;
            }

            if (i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"hardening {harness}: {args[i]} needs a value");
                return null;
            }

            parsed._values[args[i]] = args[i + 1];
        }

        return parsed;
    }

    /// <summary>The file named by <paramref name="name"/>, or null.</summary>
    public string? Text(string name) => _values.GetValueOrDefault(name);

    /// <summary>The number given for <paramref name="name"/> (at least <paramref name="min"/>), the default when absent, null (reported) when wrong.</summary>
    public double? Number(string harness, string name, double fallback, double min)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value >= min)
        {
            return value;
        }

        Console.Error.WriteLine($"hardening {harness}: {name} must be a number >= {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'");
        return null;
    }

    /// <summary>The whole number given for <paramref name="name"/> (at least <paramref name="min"/>), the default when absent, null (reported) when wrong.</summary>
    public int? Integer(string harness, string name, int fallback, int min)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min)
        {
            return value;
        }

        Console.Error.WriteLine($"hardening {harness}: {name} must be a whole number >= {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'");
        return null;
    }
}
