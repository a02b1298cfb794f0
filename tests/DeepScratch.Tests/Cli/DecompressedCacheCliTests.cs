using DeepScratch.Data;

namespace DeepScratch.Tests.Cli;

/// <summary>
/// <c>deepscratch eval</c> with the decompressed copy of the MNIST test images in the per-user cache
/// (<c>$XDG_CACHE_HOME/deepscratch/decompressed</c>; CliRunner gives every run a private one under its working folder):
/// the book's 0.9352 cold, warm, with a damaged copy, with an unwritable cache and from two first runs at once.
/// </summary>
public sealed class DecompressedCacheCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-cache-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CacheFolder => Path.Combine(_dir, "cache", "deepscratch", DecompressedCache.FolderName);

    private static void AssertBookAccuracy(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Accuracy: 0.9352", r.Stdout);
        Assert.Contains("Correct:  9352 / 10000", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    /// <summary>The one copy in the cache (the test images; the labels file is too small to be copied).</summary>
    private string SingleCopy()
    {
        Assert.Empty(Directory.GetFiles(CacheFolder, "*.tmp"));
        return Assert.Single(Directory.GetFiles(CacheFolder));
    }

    [Fact]
    public void Eval_writes_the_copy_on_the_first_run_and_gets_the_same_accuracy_from_it()
    {
        string images = TestData.Mnist("t10k-images-idx3-ubyte.gz");
        AssertBookAccuracy(CliRunner.Run(_dir, "eval", "--data", TestData.Dir));
        string copy = SingleCopy();
        Assert.StartsWith("t10k-images-idx3-ubyte.", Path.GetFileName(copy));
        Assert.Equal(images, DecompressedCache.RecordedSource(copy));
        var written = File.GetLastWriteTimeUtc(copy);

        AssertBookAccuracy(CliRunner.Run(_dir, "eval", "--data", TestData.Dir));
        Assert.Equal(written, File.GetLastWriteTimeUtc(SingleCopy())); // read, not written again
    }

    [Fact]
    public void Eval_with_a_damaged_copy_gets_the_book_accuracy_and_repairs_the_copy()
    {
        AssertBookAccuracy(CliRunner.Run(_dir, "eval", "--data", TestData.Dir));
        string copy = SingleCopy();
        var good = File.ReadAllBytes(copy);
        var bad = (byte[])good.Clone();
        // Pixels of the last images turned to ink: a copy used without its check would change the accuracy.
        bad.AsSpan(bad.Length - 50 * 784).Fill(255);
        File.WriteAllBytes(copy, bad);

        AssertBookAccuracy(CliRunner.Run(_dir, "eval", "--data", TestData.Dir));
        Assert.Equal(good, File.ReadAllBytes(SingleCopy()));
    }

    [Fact]
    public void Eval_with_an_unwritable_cache_folder_still_evaluates()
    {
        // XDG_CACHE_HOME names a file: no folder can be made under it (file permissions would not stop root).
        string blocked = Path.Combine(_dir, "blocked");
        File.WriteAllText(blocked, "not a folder");
        var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = blocked };

        AssertBookAccuracy(CliRunner.Run(_dir, environment, "eval", "--data", TestData.Dir));
        AssertBookAccuracy(CliRunner.Run(_dir, environment, "eval", "--data", TestData.Dir));
        Assert.Equal("not a folder", File.ReadAllText(blocked));
    }

    [Fact]
    public void Eval_with_a_relative_XDG_CACHE_HOME_caches_nothing_in_the_current_folder()
    {
        // A relative cache folder would be made wherever the command runs; the images are then simply inflated.
        var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = "relative-cache" };

        AssertBookAccuracy(CliRunner.Run(_dir, environment, "eval", "--data", TestData.Dir));
        Assert.False(Directory.Exists(Path.Combine(_dir, "relative-cache")));
    }

    [Fact]
    public async Task Two_first_runs_at_once_both_get_the_book_accuracy_and_leave_one_good_copy()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 2)
            .Select(_ => Task.Run(() => CliRunner.Run(_dir, "eval", "--data", TestData.Dir))));

        foreach (var run in runs)
        {
            AssertBookAccuracy(run);
        }

        string copy = SingleCopy();
        var content = IdxFilesOf(TestData.Mnist("t10k-images-idx3-ubyte.gz"));
        Assert.Equal(content, File.ReadAllBytes(copy)[^content.Length..]);
        AssertBookAccuracy(CliRunner.Run(_dir, "eval", "--data", TestData.Dir));
    }

    private static byte[] IdxFilesOf(string gzip) => DeepScratch.Tests.Data.IdxFiles.Gunzip(File.ReadAllBytes(gzip));
}
