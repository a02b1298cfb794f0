using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepScratch.Cli.Console;

/// <summary>
/// Turns a command-line parse failure into one line in plain words ("--batch-size needs a whole number; got 'x'",
/// "unknown command 'evl'; did you mean 'eval'?"): System.CommandLine's own messages name .NET types and hold tabs.
/// </summary>
internal static partial class ParseErrorText
{
    /// <summary>The line for the first error of <paramref name="parsed"/> (which has errors), without the help hint.</summary>
    public static string Explain(Command root, ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        if (parsed.UnmatchedTokens.Count > 0)
        {
            string token = parsed.UnmatchedTokens[0];
            if (command == root && !token.StartsWith('-'))
            {
                var names = root.Subcommands.Select(c => c.Name).ToArray();
                // "deepscratch help" is how git and dotnet ask; here it is an option.
                string hint = root.Options.Any(o => o.Name == $"--{token}") ? $"; did you mean '--{token}'?" : Suggest(token, names);
                return hint.Length > 0
                    ? $"unknown command '{token}'{hint}"
                    : $"unknown command '{token}'; the commands are {string.Join(", ", names)}";
            }

            if (token.StartsWith('-'))
            {
                var options = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).ToArray();
                return $"unknown option '{token}'{For(command, root)}{Suggest(token, options)}";
            }

            return $"unexpected argument '{token}'{For(command, root)}";
        }

        var error = parsed.Errors[0];
        return error.SymbolResult switch
        {
            ArgumentResult { Parent: OptionResult option } => ExplainOption(command, option, error.Message),
            OptionResult option => ExplainOption(command, option, error.Message),
            ArgumentResult { Tokens.Count: 0 } argument =>
                $"missing {argument.Argument.Name}{For(command, root)} ({Lower(argument.Argument.Description)})",
            ArgumentResult argument => ExplainValue(argument.Argument.Name, argument.Argument.ValueType, argument.Tokens[^1].Value) ?? Plain(error.Message),
            CommandResult result when result.Command == root =>
                $"no command given; the commands are {string.Join(", ", root.Subcommands.Select(c => c.Name))}",
            _ => Plain(error.Message),
        };
    }

    /// <summary>"; did you mean 'eval'?" for the closest of <paramref name="candidates"/>, or "" when none is close.</summary>
    public static string Suggest(string given, IEnumerable<string> candidates)
    {
        string typed = given.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            string name = candidate.ToLowerInvariant();
            // A longer spelling of a name (--output for --out) is as good as one typo.
            int d = typed.TrimStart('-').Length >= 3 && (typed.StartsWith(name, StringComparison.Ordinal) || name.StartsWith(typed, StringComparison.Ordinal))
                ? 1
                : EditDistance(typed, name);
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        // Close means a typo, not a different word: at most a third of the letters changed (and at least one allowed).
        return best is not null && bestDistance <= Math.Max(1, given.TrimStart('-').Length / 3) ? $"; did you mean '{best}'?" : "";
    }

    /// <summary>
    /// Edit distance with transpositions (optimal string alignment): inserting, deleting or changing a letter, or
    /// swapping two neighbours ("trian" for "train"), each count 1.
    /// </summary>
    public static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(d[i - 1, j - 1] + cost, Math.Min(d[i - 1, j], d[i, j - 1]) + 1);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string ExplainOption(Command command, OptionResult option, string message)
    {
        string name = option.Option.Name;
        return option.Tokens.Count switch
        {
            // No identifier token: a required option left out altogether, not one typed without its value.
            0 when option.IdentifierToken is null => $"{command.Name} needs {name} {option.Option.HelpName ?? "VALUE"}",
            0 => $"{name} needs a value",
            1 => ExplainValue(name, option.Option.ValueType, option.Tokens[0].Value) ?? Plain(message),
            int n => $"{name} was given {n} values; give one",
        };
    }

    /// <summary>
    /// The smallest value the command accepts for a whole-number option: counts start at 1 (the commands refuse less),
    /// anything else (a seed) may be any int.
    /// </summary>
    private static long SmallestAllowed(string name) => name is "--batch-size" or "--epochs" or "--iterations" ? 1 : int.MinValue;

    /// <summary>The line for <paramref name="given"/> that is not a value of <paramref name="valueType"/>, else null.</summary>
    private static string? ExplainValue(string name, Type valueType, string given)
    {
        var type = Nullable.GetUnderlyingType(valueType) ?? valueType;
        var inv = CultureInfo.InvariantCulture;
        if (type == typeof(int) && !int.TryParse(given, NumberStyles.Integer, inv, out _))
        {
            return BigIntegerLike().IsMatch(given.Trim())
                ? $"{name} needs a whole number from {SmallestAllowed(name)} to {int.MaxValue}; got '{given}'"
                : $"{name} needs a whole number; got '{given}'";
        }

        if (type == typeof(double) && !double.TryParse(given, NumberStyles.Float, inv, out _))
        {
            return $"{name} needs a number; got '{given}'";
        }

        if (type == typeof(bool) && !bool.TryParse(given, out _))
        {
            return $"{name} takes no value, or true or false; got '{given}'";
        }

        return null;
    }

    private static string Lower(string? description) =>
        string.IsNullOrEmpty(description) ? "see the help" : char.ToLowerInvariant(description[0]) + description[1..].TrimEnd('.');

    private static string For(Command command, Command root) => command == root ? "" : $" for '{command.Name}'";

    /// <summary>A library message with .NET type names replaced by words and tabs by spaces (for cases not handled above).</summary>
    private static string Plain(string message)
    {
        string text = TypeName().Replace(message, m => m.Groups[1].Value switch
        {
            "Int32" or "Int64" => "whole number",
            "Double" or "Single" => "number",
            "Boolean" => "true or false",
            "String" => "text",
            _ => "value",
        });
        return Whitespace().Replace(text, " ").Trim().TrimEnd('.');
    }

    [GeneratedRegex(@"System\.(?:[A-Za-z]+\.)*([A-Za-z0-9]+)(?:`\d+)?(?:\[[^\]]*\])?")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^[+-]?\d+$")]
    private static partial Regex BigIntegerLike();
}
