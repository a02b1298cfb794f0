using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>Tests that change process-wide environment variables run in this collection, alone.</summary>
[CollectionDefinition("Environment", DisableParallelization = true)]
public sealed class EnvironmentCollection
{
}

[Collection("Environment")]
public sealed class DataStoreEnvironmentTests
{
    private const string Xdg = "XDG_CACHE_HOME";

    private static readonly string[] Variables = [DataStore.DataVariable, DataStore.OfflineVariable, Xdg];

    /// <summary>Runs <paramref name="test"/> with the given variables set (null: unset), restoring all three afterwards.</summary>
    private static void WithEnvironment(string? data, string? offline, string? xdg, Action test)
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataStore.DataVariable, data);
            Environment.SetEnvironmentVariable(DataStore.OfflineVariable, offline);
            Environment.SetEnvironmentVariable(Xdg, xdg);
            test();
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public void Resolve_prefers_the_explicit_directory_over_the_variable()
    {
        using var fromFlag = new TempFolder();
        using var fromVariable = new TempFolder();
        WithEnvironment(fromVariable.Path, "1", null, () =>
        {
            var store = DataStore.Resolve(fromFlag.Path);

            Assert.Equal(fromFlag.Path, store.Root);
            Assert.Equal("--data", store.Origin);
        });
    }

    [Fact]
    public void Resolve_uses_DEEPSCRATCH_DATA_when_no_directory_is_given()
    {
        using var fromVariable = new TempFolder();
        WithEnvironment(fromVariable.Path, "1", null, () =>
        {
            foreach (string? none in new[] { null, "", "   " })
            {
                var store = DataStore.Resolve(none);

                Assert.Equal(fromVariable.Path, store.Root);
                Assert.Equal(DataStore.DataVariable, store.Origin);
            }
        });
    }

    [Fact]
    public void Resolve_makes_a_relative_DEEPSCRATCH_DATA_absolute()
    {
        WithEnvironment("some-relative-data", "1", null, () =>
        {
            Assert.Equal(Path.GetFullPath("some-relative-data"), DataStore.Resolve().Root);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Resolve_falls_back_to_the_default_directory_when_the_variable_is_unset_or_blank(string? data)
    {
        using var cache = new TempFolder();
        WithEnvironment(data, "1", cache.Path, () =>
        {
            var store = DataStore.Resolve();

            Assert.Equal(Path.GetFullPath(DataStore.DefaultDirectory), store.Root);
            Assert.Equal("default cache", store.Origin);
        });
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    public void Resolve_has_no_downloader_when_DEEPSCRATCH_OFFLINE_is_set(string offline)
    {
        using var data = new TempFolder();
        WithEnvironment(data.Path, offline, null, () =>
        {
            Assert.Null(DataStore.Resolve().Downloader);
            Assert.Null(DataStore.Resolve(data.Path).Downloader);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("")]
    public void Resolve_has_a_downloader_unless_offline(string? offline)
    {
        using var data = new TempFolder();
        WithEnvironment(data.Path, offline, null, () =>
        {
            Assert.NotNull(DataStore.Resolve().Downloader);
        });
    }

    [Fact]
    public void An_offline_resolved_store_with_missing_files_says_which_folder_and_where_it_came_from()
    {
        using var data = new TempFolder();
        WithEnvironment(data.Path, "1", null, () =>
        {
            var store = DataStore.Resolve();

            var e = Assert.Throws<DataUnavailableException>(() => store.Ensure(Catalog.Labels(DatasetKind.Mnist, DatasetSplit.Test)));

            Assert.Contains(data.File("mnist", "t10k-labels-idx1-ubyte.gz"), e.Message);
            Assert.Contains("from DEEPSCRATCH_DATA", e.Message);
            Assert.Contains("DEEPSCRATCH_OFFLINE", e.Message);
        });
    }

    [Fact]
    public void DefaultDirectory_is_deepscratch_under_XDG_CACHE_HOME()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.EndsWith("DeepScratch", DataStore.DefaultDirectory);
            return;
        }

        using var cache = new TempFolder();
        WithEnvironment(null, null, cache.Path, () =>
        {
            Assert.Equal(Path.Combine(cache.Path, "deepscratch"), DataStore.DefaultDirectory);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void DefaultDirectory_without_XDG_CACHE_HOME_is_the_home_cache(string? xdg)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.EndsWith("DeepScratch", DataStore.DefaultDirectory);
            return;
        }

        WithEnvironment(null, null, xdg, () =>
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            Assert.Equal(Path.Combine(home, ".cache", "deepscratch"), DataStore.DefaultDirectory);
        });
    }
}
