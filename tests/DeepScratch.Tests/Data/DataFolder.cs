using DeepScratch.Data;
using Xunit.Sdk;

namespace DeepScratch.Tests.Data;

/// <summary>
/// Locates the reference data folder (MNIST test set, book weights): <c>DEEPSCRATCH_DATA</c> when set (a relative
/// value that does not exist from the current directory is taken relative to the repository root), else
/// <c>&lt;repository root&gt;/../shared/data</c>. Missing data fails the test with instructions; it never skips.
/// </summary>
internal static class DataFolder
{
    private static readonly Lazy<string> RepositoryRootLazy = new(FindRepositoryRoot);

    /// <summary>The folder holding DeepScratch.slnx.</summary>
    public static string RepositoryRoot => RepositoryRootLazy.Value;

    /// <summary>The data folder; fails the test when it does not exist.</summary>
    public static string Path
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(DataStore.DataVariable);
            string folder;
            string origin;
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
            {
                origin = $"{DataStore.DataVariable}={fromEnvironment}";
                folder = System.IO.Path.IsPathRooted(fromEnvironment) || Directory.Exists(fromEnvironment)
                    ? System.IO.Path.GetFullPath(fromEnvironment)
                    : System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, fromEnvironment));
            }
            else
            {
                origin = $"{DataStore.DataVariable} is not set, so the default <repository>/../shared/data";
                folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared", "data"));
            }

            if (!Directory.Exists(folder))
            {
                throw new XunitException(
                    $"The reference data folder {folder} ({origin}) does not exist. Set {DataStore.DataVariable} to a folder " +
                    "holding mnist/t10k-images-idx3-ubyte.gz and mnist/t10k-labels-idx1-ubyte.gz (e.g. ../shared/data).");
            }

            return folder;
        }
    }

    /// <summary>A file inside the data folder; fails the test when it does not exist.</summary>
    public static string File(string relativePath)
    {
        string path = System.IO.Path.Combine(Path, relativePath);
        if (!System.IO.File.Exists(path))
        {
            throw new XunitException(
                $"{path} is missing. Set {DataStore.DataVariable} to a data folder that holds {relativePath}.");
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "DeepScratch.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new XunitException(
            $"DeepScratch.slnx not found above {AppContext.BaseDirectory}; set {DataStore.DataVariable} to an absolute data folder.");
    }
}
