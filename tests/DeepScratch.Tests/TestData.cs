namespace DeepScratch.Tests;

/// <summary>
/// Where the real reference data lives: <c>DEEPSCRATCH_DATA</c> (a relative value is tried from the current folder,
/// then from the repository root), else <c>../shared/data</c> beside the repository. Tests that need it fail, never
/// skip, when it is missing, so CI cannot pass without having checked the real data.
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> Folder = new(Locate);

    /// <summary>The data folder (holds mnist/ and weights/).</summary>
    public static string Dir => Folder.Value;

    /// <summary>A file of the book's weights folder.</summary>
    public static string Weights(string fileName) => Require(Path.Combine(Dir, "weights", fileName));

    /// <summary>A file of the MNIST folder.</summary>
    public static string Mnist(string fileName) => Require(Path.Combine(Dir, "mnist", fileName));

    /// <summary>
    /// True under CI (<c>CI=true</c>, which <c>.ci/run</c> sets): tests whose tools or data are missing fail there
    /// instead of skipping with a hint, so a CI run cannot pass without having run them.
    /// </summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The repository root: the folder holding DeepScratch.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string Locate()
    {
        string? variable = Environment.GetEnvironmentVariable("DEEPSCRATCH_DATA");
        var candidates = new List<string>();
        if (!string.IsNullOrWhiteSpace(variable))
        {
            candidates.Add(Path.GetFullPath(variable));
            if (!Path.IsPathRooted(variable))
            {
                candidates.Add(Path.GetFullPath(Path.Combine(RepositoryRoot, variable)));
            }
        }
        else
        {
            candidates.Add(Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data")));
        }

        return candidates.FirstOrDefault(c => Directory.Exists(Path.Combine(c, "mnist")))
            ?? throw new InvalidOperationException(
                $"The reference data is missing (looked in {string.Join(", ", candidates)}). " +
                "Set DEEPSCRATCH_DATA to the folder holding mnist/ and weights/ (CI uses ../shared/data).");
    }

    private static string Require(string path) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"Reference file missing: {path}. Set DEEPSCRATCH_DATA to a complete data folder.");

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepScratch.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the repository root (DeepScratch.slnx) above {AppContext.BaseDirectory}.");
    }
}
