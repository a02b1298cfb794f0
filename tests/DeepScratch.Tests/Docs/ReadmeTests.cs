using System.Text.RegularExpressions;
using DeepScratch.Tests.Cli;
using Xunit.Abstractions;

namespace DeepScratch.Tests.Docs;

/// <summary>
/// The README's code must work as written on a fresh clone: every ```csharp block is compiled and run as a .NET 10
/// file-based app against the library, and prints what its comments promise; every <c>deepscratch</c> command line it
/// shows names a real command with real options and values.
/// </summary>
[Collection(Examples.DotnetRunCollection.Name)] // its blocks build the library as the chapter scripts do: not at the same time
public sealed partial class ReadmeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan BuildAndRunTimeout = TimeSpan.FromMinutes(5);

    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_csharp_block_runs_as_a_file_based_app_and_prints_the_values_its_comments_promise()
    {
        var blocks = Readme.Blocks("csharp");
        Assert.NotEmpty(blocks);
        string library = System.IO.Path.Combine(TestData.RepositoryRoot, "src", "DeepScratch", "DeepScratch.csproj");
        for (int b = 0; b < blocks.Count; b++)
        {
            // A line whose comment is just a value ("// 0.9352") promises that value as a line of output, in order.
            var promised = PromisedValue().Matches(blocks[b]).Select(m => m.Groups[1].Value).ToArray();
            string file = System.IO.Path.Combine(_dir, $"readme-block-{b}.cs");
            File.WriteAllText(file, $"#:project {library}\n{blocks[b]}");

            var (exitCode, stdout, stderr) = DotnetRun(file);
            output.WriteLine($"block {b}: exit {exitCode}\n{stdout}\n{stderr}");
            Assert.True(exitCode == 0, $"README csharp block {b} failed (exit {exitCode}):\n{stdout}\n{stderr}");

            var printed = stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).ToList();
            int at = 0;
            foreach (string value in promised)
            {
                int found = printed.IndexOf(value, at);
                Assert.True(found >= 0, $"README csharp block {b} promises '{value}', but it printed:\n{stdout}");
                at = found + 1;
            }
        }
    }

    [Fact]
    public void The_command_table_and_the_help_list_the_same_commands()
    {
        var table = Readme.CommandTable();
        var help = HelpCommands();

        Assert.Equal(table.Count, table.Distinct().Count());
        Assert.True(help.Order().SequenceEqual(table.Order()),
            $"deepscratch --help lists {string.Join(", ", help)}; the README's command table lists {string.Join(", ", table)}");
    }

    [Fact]
    public void Every_deepscratch_command_line_in_the_README_names_real_commands_options_and_values()
    {
        var lines = Readme.CommandLines();
        Assert.True(lines.Count >= 10, $"only {lines.Count} command lines found in the README");
        var commands = HelpCommands();
        var helpOf = new Dictionary<string, string>();
        foreach (var args in lines)
        {
            string shown = "deepscratch " + string.Join(' ', args);
            if (args.Length > 0 && args[0] == args[0].ToUpperInvariant())
            {
                continue; // a placeholder such as "deepscratch COMMAND ...", not a command line
            }

            Assert.True(args.Length > 0 && commands.Contains(args[0]), $"README: '{shown}' names no command of 'deepscratch --help'");
            if (!helpOf.TryGetValue(args[0], out string? help))
            {
                var r = CliRunner.Run(_dir, args[0], "--help");
                Assert.True(r.ExitCode == 0, r.Stderr);
                helpOf[args[0]] = help = r.Stdout;
            }

            var options = HelpOption().Matches(help)
                .GroupBy(m => m.Groups[1].Value)
                .ToDictionary(g => g.Key, g => g.First().Groups[2].Value);
            for (int i = 1; i < args.Length; i++)
            {
                string word = args[i].TrimStart('[').TrimEnd(']');
                if (!word.StartsWith("--", StringComparison.Ordinal))
                {
                    continue;
                }

                Assert.True(options.ContainsKey(word), $"README: '{shown}': {args[0]} has no option {word}");

                // A concrete value for an option with a fixed set of choices (<mnist|fashion-mnist>) must be one of them.
                string choices = options[word];
                bool fixedChoices = choices.Contains('|') && choices == choices.ToLowerInvariant();
                string value = i + 1 < args.Length ? args[i + 1].TrimEnd(']') : "";
                if (fixedChoices && ConcreteValue().IsMatch(value))
                {
                    Assert.True(choices.Split('|').Contains(value, StringComparer.OrdinalIgnoreCase),
                        $"README: '{shown}': {word} {value} is not one of {choices}");
                }
            }
        }
    }

    [Fact]
    public void The_set_up_eval_prints_the_accuracy_the_README_shows()
    {
        // The set-up block's main job: eval with the default weights and the data folder from DEEPSCRATCH_DATA.
        Assert.Contains(Readme.CommandLines(), a => a.SequenceEqual(["eval"]));
        Assert.Contains("Accuracy: 0.9352", Readme.Text);

        var r = CliRunner.Run(_dir, new Dictionary<string, string> { ["DEEPSCRATCH_DATA"] = TestData.Dir }, "eval");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Accuracy: 0.9352", r.Stdout);
        Assert.Contains("Correct:  9352 / 10000", r.Stdout);
    }

    /// <summary>The command names in the "Commands:" section of <c>deepscratch --help</c>.</summary>
    private List<string> HelpCommands()
    {
        var r = CliRunner.Run(_dir, "--help");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string text = r.Stdout.Replace("\r", "");
        int start = text.IndexOf("Commands:\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no Commands section in:\n{text}");
        return text[(start + "Commands:\n".Length)..]
            .Split('\n')
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0])
            .ToList();
    }

    private (int ExitCode, string Stdout, string Stderr) DotnetRun(string file)
    {
        // Run in a temp folder, not the repository: the block must not depend on the current folder.
        // FileBasedApp deletes the build cache the SDK keeps per file path (a new temp path each run).
        var (exitCode, stdout, stderr) = Examples.FileBasedApp.Run(file, [], _dir,
            new Dictionary<string, string?> { ["DEEPSCRATCH_DATA"] = TestData.Dir, ["DEEPSCRATCH_OFFLINE"] = "1" }, BuildAndRunTimeout);
        return (exitCode, stdout, stderr);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9.-]*$")]
    private static partial Regex ConcreteValue();

    [GeneratedRegex(@"//\s*(-?[0-9][0-9.]*)\s*$", RegexOptions.Multiline)]
    private static partial Regex PromisedValue();

    /// <summary>An option in a help text and its value placeholder: "--dataset &lt;fashion-mnist|mnist&gt;".</summary>
    [GeneratedRegex(@"^ +(?:-\S+, )*(--[a-z][a-z0-9-]*)(?: <([^>]*)>)?", RegexOptions.Multiline)]
    private static partial Regex HelpOption();
}
