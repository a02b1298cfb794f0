using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DeepScratch.Tests.Packaging;

/// <summary>
/// The <c>deepscratch</c> .NET tool package: what <c>dotnet pack</c> puts in it, and the tool installed from the local
/// package folder into a temp tool path, run as a user runs it.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class ToolPackageTests(PackedPackages packages)
{
    /// <summary>The runtimes whose SkiaSharp/HarfBuzz natives the tool ships (the CLI's ShippedNativeRuntimes), by hand.</summary>
    private static readonly string[] ShippedRuntimes = ["linux-arm64", "linux-x64", "osx", "win-arm64", "win-x64"];

    [Fact]
    public void Pack_of_the_solution_gives_the_library_its_symbols_and_the_tool_and_nothing_else()
    {
        var files = Directory.GetFiles(packages.PackageFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(
            [$"DeepScratch.{packages.Version}.nupkg", $"DeepScratch.{packages.Version}.snupkg", $"DeepScratch.Cli.{packages.Version}.nupkg"],
            files);
    }

    [Fact]
    public void The_version_is_set_once_and_is_the_assemblies_version()
    {
        Assert.Matches(new Regex(@"^0\.\d+\.\d+$"), packages.Version);
        string informational = typeof(DeepScratch.Models.ThreeLayerNet).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(packages.Version, informational.Split('+')[0]);
        foreach (string project in Directory.GetFiles(Path.Combine(TestData.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("<Version>", File.ReadAllText(project), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Tool_package_is_a_dotnet_tool_named_deepscratch_with_its_readme()
    {
        string package = packages.Package("DeepScratch.Cli");
        var metadata = PackedPackages.Metadata(package, "DeepScratch.Cli");
        Assert.Equal("DeepScratch.Cli", PackedPackages.Value(metadata, "id"));
        Assert.Equal(packages.Version, PackedPackages.Value(metadata, "version"));
        Assert.Contains("deepscratch", PackedPackages.Value(metadata, "description"), StringComparison.Ordinal);
        Assert.Contains("dotnet-tool", PackedPackages.Value(metadata, "tags")!.Split(' '));
        Assert.Equal("DotnetTool", metadata.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name")!.Value);

        Assert.Equal("README.md", PackedPackages.Value(metadata, "readme"));
        Assert.Equal(
            File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "src", "DeepScratch.Cli", "README.md")),
            PackedPackages.EntryText(package, "README.md"));

        var settings = XDocument.Parse(PackedPackages.EntryText(package, "tools/net10.0/any/DotnetToolSettings.xml"));
        var command = settings.Descendants().Single(e => e.Name.LocalName == "Command");
        Assert.Equal("deepscratch", command.Attribute("Name")!.Value);
        Assert.Equal("DeepScratch.Cli.dll", command.Attribute("EntryPoint")!.Value);
    }

    [Fact]
    public void Tool_package_carries_the_library_and_the_drawing_natives_of_the_shipped_runtimes_only()
    {
        var entries = PackedPackages.EntryNames(packages.Package("DeepScratch.Cli"));
        const string Tool = "tools/net10.0/any/";
        foreach (string assembly in new[] { "DeepScratch.Cli.dll", "DeepScratch.dll", "SkiaSharp.dll", "StbImageSharp.dll", "System.Numerics.Tensors.dll" })
        {
            Assert.Contains(Tool + assembly, entries);
        }

        var runtimes = entries.Where(e => e.StartsWith(Tool + "runtimes/", StringComparison.Ordinal)).ToList();
        Assert.Equal(ShippedRuntimes, runtimes.Select(e => e.Split('/')[4]).Distinct().Order(StringComparer.Ordinal));
        foreach (string runtime in ShippedRuntimes)
        {
            string extension = runtime.StartsWith("win", StringComparison.Ordinal) ? ".dll" : runtime == "osx" ? ".dylib" : ".so";
            Assert.Contains($"{Tool}runtimes/{runtime}/native/libSkiaSharp{extension}", runtimes);
            Assert.Contains($"{Tool}runtimes/{runtime}/native/libHarfBuzzSharp{extension}", runtimes);
        }

        // The library's API documentation is for the library package, not for a command.
        Assert.DoesNotContain(Tool + "DeepScratch.xml", entries);
    }

    [Fact]
    public void Tool_package_asks_for_any_net_10_runtime_not_the_packing_machines_patch()
    {
        // Framework-dependent: .NET 10.0.0 or any later patch runs it (the runtime rolls forward, never back).
        using var config = System.Text.Json.JsonDocument.Parse(
            PackedPackages.EntryText(packages.Package("DeepScratch.Cli"), "tools/net10.0/any/DeepScratch.Cli.runtimeconfig.json"));
        var options = config.RootElement.GetProperty("runtimeOptions");
        var frameworks = options.TryGetProperty("frameworks", out var list) ? list.EnumerateArray().ToList() : [options.GetProperty("framework")];
        Assert.Contains(frameworks, f => f.GetProperty("name").GetString() == "Microsoft.NETCore.App");
        Assert.All(frameworks, f => Assert.Equal("10.0.0", f.GetProperty("version").GetString()));
    }

    [Fact]
    public void Installed_tool_says_its_package_version()
    {
        var run = packages.Run(packages.InstalledTool, packages.Root, "--version");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(new Regex($@"^{Regex.Escape(packages.Version)}(\+[0-9a-f]+)?$"), run.Stdout.Trim());
    }

    [Fact]
    public void Installed_tool_prints_the_chapter_2_truth_tables()
    {
        var run = packages.Run(packages.InstalledTool, packages.Root, "gates");
        Assert.True(run.ExitCode == 0, run.Output);

        // Hand truth tables, rows in the order (x1, x2) = (0, 0), (1, 0), (0, 1), (1, 1).
        var expected = new Dictionary<string, int[]>
        {
            ["AND"] = [0, 0, 0, 1],
            ["NAND"] = [1, 1, 1, 0],
            ["OR"] = [0, 1, 1, 1],
            ["XOR"] = [0, 1, 1, 0],
        };
        var tables = new Dictionary<string, List<string>>();
        List<string>? rows = null;
        foreach (string line in run.Stdout.Replace("\r", "").Split('\n'))
        {
            var header = Regex.Match(line, @"^(AND|NAND|OR|XOR)\b");
            if (header.Success)
            {
                tables[header.Groups[1].Value] = rows = [];
            }
            else if (Regex.Match(line, @"^\s+([01])\s+([01]) \| ([01])$") is { Success: true } row)
            {
                Assert.NotNull(rows);
                rows.Add($"{row.Groups[1].Value}{row.Groups[2].Value}{row.Groups[3].Value}");
            }
        }

        Assert.Equal(expected.Keys.Order(), tables.Keys.Order());
        foreach (var (gate, outputs) in expected)
        {
            Assert.Equal(new[] { $"00{outputs[0]}", $"10{outputs[1]}", $"01{outputs[2]}", $"11{outputs[3]}" }, tables[gate]);
        }
    }

    [Fact]
    public void Installed_tool_evaluates_the_book_network_on_the_real_test_set()
    {
        var run = packages.Run(packages.InstalledTool, packages.Root,
            new Dictionary<string, string?> { ["DEEPSCRATCH_DATA"] = TestData.Dir }, "eval");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(new Regex(@"^Accuracy: 0\.9352$", RegexOptions.Multiline), run.Stdout.Replace("\r", ""));
        Assert.Contains("9352 / 10000", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Installed_tool_reports_missing_data_in_one_line_with_exit_3()
    {
        string empty = Directory.CreateDirectory(Path.Combine(packages.Root, "no-data")).FullName;
        var run = packages.Run(packages.InstalledTool, packages.Root,
            new Dictionary<string, string?> { ["DEEPSCRATCH_DATA"] = empty }, "eval");
        Assert.True(run.ExitCode == 3, run.Output);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("deepscratch: error: missing ", run.Stderr, StringComparison.Ordinal);
    }
}
