namespace DeepScratch.Tests.Examples;

/// <summary>
/// The file-based-app tests (chapter scripts, README blocks) run through <see cref="FileBasedApp"/> and must leave no
/// build cache under the SDK's <c>dotnet/runfile</c> folder: a run leaks tens of MB per script otherwise.
/// </summary>
[Collection(DotnetRunCollection.Name)]
public sealed class FileBasedAppCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-runfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_file_based_app_run_leaves_no_build_cache_behind()
    {
        // A unique name, so no other run (another worktree, a parallel suite) can own a cache folder with that prefix.
        string name = $"runfile-probe-{Guid.NewGuid():N}";
        string file = Path.Combine(_dir, name + ".cs");
        // The running app reports the folder it was built into: the SDK's own answer, not FileBasedApp's.
        File.WriteAllText(file, "System.Console.WriteLine(System.AppContext.BaseDirectory);\n");

        var run = FileBasedApp.Run(file, [], _dir, new Dictionary<string, string?>(), TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.Output);
        string builtIn = Path.GetFullPath(run.Stdout.Trim());
        string expected = FileBasedApp.CacheFolder(file);
        Assert.StartsWith(expected + Path.DirectorySeparatorChar, builtIn, StringComparison.Ordinal);
        Assert.False(Directory.Exists(expected), $"{expected} was left behind");
        Assert.Empty(Directory.Exists(FileBasedApp.CacheRoot) ? Directory.GetDirectories(FileBasedApp.CacheRoot, name + "*") : []);
    }
}
