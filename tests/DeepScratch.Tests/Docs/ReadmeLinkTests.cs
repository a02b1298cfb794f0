using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Docs;

/// <summary>
/// The READMEs send a reader to chapter scripts (<c>dotnet run examples/ch03/neuralnet_mnist.cs</c>), pictures and
/// other files by path: every such path must exist, and every chapter script must be named in examples/README.md, so a
/// renamed or forgotten file shows up here rather than as a dead link or an unlisted script.
/// </summary>
public sealed partial class ReadmeLinkTests
{
    private static readonly string[] ReadmeFiles = ["README.md", "examples/README.md", "src/DeepScratch/README.md", "src/DeepScratch.Cli/README.md"];

    [Fact]
    public void Every_script_path_and_relative_link_in_the_READMEs_exists()
    {
        var missing = new List<string>();
        int checkedPaths = 0;
        foreach (string readme in ReadmeFiles)
        {
            string path = Path.Combine(TestData.RepositoryRoot, readme);
            string text = File.ReadAllText(path);
            string folder = Path.GetDirectoryName(path)!;
            foreach (Match m in ScriptPath().Matches(text))
            {
                checkedPaths++;
                if (!File.Exists(Path.Combine(TestData.RepositoryRoot, m.Value)))
                {
                    missing.Add($"{readme}: {m.Value}");
                }
            }

            foreach (Match m in RelativeLink().Matches(text))
            {
                string target = m.Groups[1].Value.Split('#')[0];
                if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal))
                {
                    continue;
                }

                checkedPaths++;
                string full = Path.Combine(folder, target);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    missing.Add($"{readme}: ({target})");
                }
            }
        }

        Assert.True(checkedPaths >= 40, $"only {checkedPaths} paths found: the patterns no longer match the READMEs");
        Assert.True(missing.Count == 0, "missing: " + string.Join(", ", missing));
    }

    [Fact]
    public void Examples_README_names_every_chapter_script()
    {
        string examples = Path.Combine(TestData.RepositoryRoot, "examples");
        string table = File.ReadAllText(Path.Combine(examples, "README.md"));
        var unlisted = Directory.EnumerateFiles(examples, "*.cs", SearchOption.AllDirectories)
            .Select(f => "examples/" + Path.GetRelativePath(examples, f).Replace('\\', '/'))
            .Where(f => !table.Contains($"dotnet run {f}", StringComparison.Ordinal))
            .ToArray();
        Assert.True(unlisted.Length == 0, "examples/README.md has no row for " + string.Join(", ", unlisted));
    }

    [GeneratedRegex(@"examples/ch\d\d/[A-Za-z0-9_]+\.cs")]
    private static partial Regex ScriptPath();

    // Markdown links and images: [text](target) or ![alt](target).
    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex RelativeLink();
}
