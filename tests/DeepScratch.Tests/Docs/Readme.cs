using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Docs;

/// <summary>The repository's README.md, taken apart for the tests that hold the code to what it shows.</summary>
internal static partial class Readme
{
    public static string Path { get; } = System.IO.Path.Combine(TestData.RepositoryRoot, "README.md");

    public static string Text { get; } = File.ReadAllText(Path).Replace("\r\n", "\n");

    /// <summary>The bodies of the fenced blocks of one language (```csharp, ```sh ...), in order.</summary>
    public static IReadOnlyList<string> Blocks(string language) =>
        Regex.Matches(Text, "^```" + Regex.Escape(language) + "\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value)
            .ToArray();

    /// <summary>The commands of the README's command table: the first word after <c>deepscratch</c> in each row's first cell.</summary>
    public static IReadOnlyList<string> CommandTable() =>
        TableRow().Matches(Text).Select(m => m.Groups[1].Value).ToArray();

    /// <summary>
    /// Every <c>deepscratch ...</c> command line the README shows: in ```sh blocks (after <c>VAR=value</c> prefixes and a
    /// path such as <c>artifacts/deepscratch/</c>, split at <c>&amp;&amp;</c>, without <c># comments</c>) and in inline code spans.
    /// Each is returned as its arguments after the program name.
    /// </summary>
    public static IReadOnlyList<string[]> CommandLines()
    {
        var lines = new List<string[]>();
        foreach (string block in Blocks("sh"))
        {
            foreach (string line in block.Split('\n'))
            {
                string code = line.Split('#')[0];
                foreach (string part in code.Split("&&"))
                {
                    var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w.Contains('=')).ToArray();
                    if (words.Length > 0 && (words[0] == "deepscratch" || words[0].EndsWith("/deepscratch", StringComparison.Ordinal)))
                    {
                        lines.Add(words[1..]);
                    }
                }
            }
        }

        foreach (Match m in CodeSpan().Matches(Text))
        {
            lines.Add(m.Groups[1].Value.Replace("\\|", "|").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        return lines;
    }

    [GeneratedRegex(@"^\| `deepscratch ([a-z-]+)", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"`deepscratch ([^`]+)`")]
    private static partial Regex CodeSpan();
}
