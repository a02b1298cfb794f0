using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Docs;

/// <summary>
/// The README's library table ("The library") is where a reader of the book looks for a concept, so it must list every
/// folder of src/DeepScratch and, in that folder's row, every public type the folder holds.
/// </summary>
public sealed partial class ReadmeLibraryTableTests
{
    [Fact]
    public void The_library_table_lists_every_source_folder_and_no_other()
    {
        string root = Path.Combine(TestData.RepositoryRoot, "src", "DeepScratch");
        var folders = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Where(d => d != "." && !d.StartsWith("bin", StringComparison.Ordinal) && !d.StartsWith("obj", StringComparison.Ordinal))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();

        var rows = LibraryRows();
        Assert.Equal(folders, rows.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Each_folder_row_names_every_public_type_of_its_namespace()
    {
        var rows = LibraryRows();
        var missing = new List<string>();
        foreach (var type in typeof(Tensor).Assembly.GetExportedTypes().Where(t => !t.IsNested))
        {
            // Namespaces follow folders: DeepScratch.Training.Optimizers lives in src/DeepScratch/Training/Optimizers.
            string folder = type.Namespace!["DeepScratch.".Length..].Replace('.', '/');
            string name = type.Name.Split('`')[0];
            if (!rows.TryGetValue(folder, out string? row) || !Regex.IsMatch(row, $@"`{name}[`.(]"))
            {
                missing.Add($"{type.FullName} (folder {folder})");
            }
        }

        Assert.True(missing.Count == 0, "The README's library table does not name: " + string.Join(", ", missing));
    }

    /// <summary>The rows of the table under "## The library": folder (relative to src/DeepScratch) -> the row's text.</summary>
    private static Dictionary<string, string> LibraryRows()
    {
        string text = Readme.Text;
        int start = text.IndexOf("\n## The library\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no section \"## The library\"");
        int end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string section = end < 0 ? text[start..] : text[start..end];

        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in LibraryRow().Matches(section))
        {
            Assert.True(rows.TryAdd(m.Groups[1].Value, m.Groups[2].Value), $"README: the folder {m.Groups[1].Value} has two rows");
        }

        return rows;
    }

    [GeneratedRegex(@"^\| `src/DeepScratch/([A-Za-z/]+)` \|(.*)\|$", RegexOptions.Multiline)]
    private static partial Regex LibraryRow();
}
