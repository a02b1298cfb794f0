using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Xml.Linq;

namespace DeepScratch.Tests.Packaging;

/// <summary>The packaging tests share one <c>dotnet pack</c> of the solution (it takes seconds, not milliseconds).</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackedPackages>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Packaging";
}

/// <summary>
/// <c>dotnet pack DeepScratch.slnx --no-build</c> of this test run's configuration into a fresh temp folder, exactly as
/// the README's install command packs, and the means to use the packages from there with nothing but that folder:
/// a NuGet config of its own (no nuget.org, no user sources) and an empty packages folder, so a package installed or
/// restored is always the one just packed, never a copy cached by an earlier run.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private readonly Lazy<string> _installedTool;

    public PackedPackages()
    {
        Root = Directory.CreateTempSubdirectory("deepscratch-pack-tests-").FullName;
        Version = VersionOf(Path.Combine(TestData.RepositoryRoot, "Directory.Build.props"));
        string configuration = typeof(PackedPackages).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;

        // --no-build packs what the test run already built (nothing in bin/ is rewritten while the CLI tests run it);
        // the publish folder and nuspec go to the temp folder too. --no-build also means no restore: no network.
        var pack = Run("dotnet", TestData.RepositoryRoot,
            "pack", Path.Combine(TestData.RepositoryRoot, "DeepScratch.slnx"), "-c", configuration, "--no-build",
            "-o", PackageFolder, $"-p:PublishDir={Path.Combine(Root, "publish")}/", $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}/");
        if (pack.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet pack failed:\n{pack.Output}");
        }

        _installedTool = new Lazy<string>(InstallTool);
    }

    /// <summary>The temp folder holding everything; deleted on dispose.</summary>
    public string Root { get; }

    /// <summary>The package version, from the one place it is set (Directory.Build.props).</summary>
    public string Version { get; }

    /// <summary>Where <c>dotnet pack</c> wrote the packages.</summary>
    public string PackageFolder => Path.Combine(Root, "packages");

    /// <summary>The NuGet global packages folder the tests' installs and restores use (empty at the start).</summary>
    public string NuGetPackagesFolder => Path.Combine(Root, "nuget-packages");

    /// <summary>A package in <see cref="PackageFolder"/> by id and extension (.nupkg or .snupkg).</summary>
    public string Package(string id, string extension = ".nupkg") => Path.Combine(PackageFolder, $"{id}.{Version}{extension}");

    /// <summary>The <c>deepscratch</c> command of the tool package installed into a temp tool path (installed once).</summary>
    public string InstalledTool => _installedTool.Value;

    /// <summary>
    /// Writes a nuget.config that sees only the packed folder (for DeepScratch*) and, when <paramref name="otherPackages"/>
    /// is given, that local folder for every other package: never a remote source.
    /// </summary>
    public string WriteNuGetConfig(string folder, string? otherPackages = null)
    {
        var sources = new XElement("packageSources", new XElement("clear"), Source("packed", PackageFolder));
        var config = new XElement("configuration", sources,
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", NuGetPackagesFolder))));
        if (otherPackages is not null)
        {
            sources.Add(Source("restored", otherPackages));
            // The most specific pattern wins: DeepScratch only ever comes from the folder just packed.
            config.Add(new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "packed"), Pattern("DeepScratch"), Pattern("DeepScratch.*")),
                new XElement("packageSource", new XAttribute("key", "restored"), Pattern("*"))));
        }

        string path = Path.Combine(folder, "nuget.config");
        new XDocument(config).Save(path);
        return path;

        static XElement Source(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));
        static XElement Pattern(string pattern) => new("package", new XAttribute("pattern", pattern));
    }

    /// <summary>
    /// Runs a program to the end with the usual .NET CLI environment minus what the test host adds (MSBuild's own
    /// variables), without MSBuild nodes or the compiler server left running, and NuGet's packages folder redirected.
    /// </summary>
    internal ProcessOutcome Run(string fileName, string workingDirectory, params string[] args) =>
        Run(fileName, workingDirectory, new Dictionary<string, string?>(), args);

    /// <summary>As <see cref="Run(string, string, string[])"/>, with variables set (or removed, when null) last.</summary>
    internal ProcessOutcome Run(string fileName, string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        // MSBuild's own variables (the test host runs under MSBuild) and ours are dropped, NuGet's packages folder and
        // the data cache redirected into this run's folder.
        var variables = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DEEPSCRATCH_", StringComparison.Ordinal))
            .ToDictionary(k => k, string? (_) => null);
        variables["NUGET_PACKAGES"] = NuGetPackagesFolder;
        variables["DEEPSCRATCH_OFFLINE"] = "1";
        variables["XDG_CACHE_HOME"] = Path.Combine(Root, "cache");
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        return ChildProcess.Run(fileName, args, workingDirectory, variables, Limit);
    }

    /// <summary>The stored text of one entry of a package (a zip).</summary>
    internal static string EntryText(string package, string entryName)
    {
        using var zip = ZipFile.OpenRead(package);
        var entry = zip.GetEntry(entryName) ?? throw new InvalidOperationException($"{package} has no {entryName}");
        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The names of every entry of a package.</summary>
    internal static string[] EntryNames(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    /// <summary>The package's nuspec metadata element.</summary>
    internal static XElement Metadata(string package, string id)
    {
        var nuspec = XDocument.Parse(EntryText(package, $"{id}.nuspec"));
        return nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    /// <summary>The value of a metadata child (namespace-free name), or null.</summary>
    internal static string? Value(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail the run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string InstallTool()
    {
        string toolPath = Path.Combine(Root, "tools");
        string config = WriteNuGetConfig(Directory.CreateDirectory(Path.Combine(Root, "tool-install")).FullName);
        // --configfile alone decides the sources: only the folder just packed is asked, nothing is downloaded.
        var install = Run("dotnet", Root,
            "tool", "install", "--tool-path", toolPath, "--configfile", config, "DeepScratch.Cli", "--version", Version);
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet tool install failed:\n{install.Output}");
        }

        string command = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "deepscratch.exe" : "deepscratch");
        return File.Exists(command)
            ? command
            : throw new InvalidOperationException($"dotnet tool install succeeded but {command} is missing:\n{install.Output}");
    }

    private static string VersionOf(string props)
    {
        var versions = XDocument.Load(props).Descendants().Where(e => e.Name.LocalName == "Version").ToList();
        return versions.Count == 1
            ? versions[0].Value.Trim()
            : throw new InvalidOperationException($"{props} should set <Version> once; it sets it {versions.Count} times.");
    }
}
