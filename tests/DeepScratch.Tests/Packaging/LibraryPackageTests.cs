using System.Text.RegularExpressions;

namespace DeepScratch.Tests.Packaging;

/// <summary>
/// The DeepScratch library package: its metadata, dependencies, API documentation and symbols, and a console program
/// outside the repository that references the package (from the local package folder only) and runs its readme's example.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class LibraryPackageTests(PackedPackages packages)
{
    [Fact]
    public void Library_package_has_its_id_version_readme_description_and_tags()
    {
        string package = packages.Package("DeepScratch");
        var metadata = PackedPackages.Metadata(package, "DeepScratch");
        Assert.Equal("DeepScratch", PackedPackages.Value(metadata, "id"));
        Assert.Equal(packages.Version, PackedPackages.Value(metadata, "version"));
        Assert.Contains("Deep Learning from Scratch", PackedPackages.Value(metadata, "description"), StringComparison.Ordinal);
        Assert.Contains("mnist", PackedPackages.Value(metadata, "tags")!.Split(' '));
        Assert.Equal("README.md", PackedPackages.Value(metadata, "readme"));
        Assert.Equal(
            File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "src", "DeepScratch", "README.md")),
            PackedPackages.EntryText(package, "README.md"));
    }

    [Fact]
    public void Library_package_depends_on_exactly_the_three_packages_the_library_uses()
    {
        var metadata = PackedPackages.Metadata(packages.Package("DeepScratch"), "DeepScratch");
        var group = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "group");
        Assert.Equal("net10.0", group.Attribute("targetFramework")!.Value);
        var dependencies = group.Elements().ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        Assert.Equal(["StbImageSharp", "System.IO.Hashing", "System.Numerics.Tensors"], dependencies.Keys.Order(StringComparer.Ordinal));

        // The versions are the ones the library builds against (its assembly references), not looser ones.
        var references = typeof(DeepScratch.Models.ThreeLayerNet).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToHashSet();
        Assert.Contains("StbImageSharp", references);
        Assert.Contains("System.Numerics.Tensors", references);
        Assert.Contains("System.IO.Hashing", references);
        Assert.Equal("2.30.16", dependencies["StbImageSharp"]);
        Assert.Equal("10.0.0", dependencies["System.Numerics.Tensors"]);
        Assert.Equal("10.0.0", dependencies["System.IO.Hashing"]);
    }

    [Fact]
    public void Library_package_carries_the_xml_documentation_and_a_symbol_package()
    {
        var entries = PackedPackages.EntryNames(packages.Package("DeepScratch"));
        Assert.Contains("lib/net10.0/DeepScratch.dll", entries);
        string docs = PackedPackages.EntryText(packages.Package("DeepScratch"), "lib/net10.0/DeepScratch.xml");
        Assert.Contains("<member name=\"M:DeepScratch.Models.ThreeLayerNet.Load(System.String)\">", docs, StringComparison.Ordinal);
        Assert.Contains("<member name=\"T:DeepScratch.Data.Mnist\">", docs, StringComparison.Ordinal);

        Assert.Contains("lib/net10.0/DeepScratch.pdb", PackedPackages.EntryNames(packages.Package("DeepScratch", ".snupkg")));
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.Ordinal));
    }

    [Fact]
    public void A_console_program_referencing_the_package_runs_the_readme_example_to_the_book_accuracy()
    {
        string project = Directory.CreateDirectory(Path.Combine(packages.Root, "consumer")).FullName;
        // Empty Directory.Build/Packages files stop MSBuild and NuGet looking above the temp folder for settings.
        foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(project, file), "<Project />\n");
        }

        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="DeepScratch" Version="{packages.Version}" />
              </ItemGroup>
            </Project>
            """);
        // The package readme's example, as a user would paste it, then its accuracy counted in a plain loop.
        string readme = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "src", "DeepScratch", "README.md")).Replace("\r\n", "\n");
        var example = Regex.Match(readme, "^```csharp\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(example.Success, "src/DeepScratch/README.md has no csharp example");
        File.WriteAllText(Path.Combine(project, "Program.cs"), example.Groups[1].Value + """

            float[] labels = t.ToArray();
            int correct = 0;
            for (int i = 0; i < predicted.Length; i++)
            {
                if (predicted[i] == (int)labels[i])
                {
                    correct++;
                }
            }

            Console.WriteLine($"Accuracy: {(double)correct / predicted.Length:F4}");
            """);
        File.Copy(TestData.Weights("sample_weight.pkl"), Path.Combine(project, "sample_weight.pkl"));

        // DeepScratch comes from the folder just packed; its two dependencies from the packages this test run was
        // restored with (a local folder), so the build needs no network.
        // Asked with this test run's own NUGET_PACKAGES (or none), not the temp one the other commands get.
        var locals = packages.Run("dotnet", project,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES") },
            "nuget", "locals", "global-packages", "--list");
        Assert.True(locals.ExitCode == 0, locals.Output);
        var restored = Regex.Match(locals.Stdout, @"global-packages:\s*(\S.*?)\s*$", RegexOptions.Multiline);
        Assert.True(restored.Success, locals.Output);
        packages.WriteNuGetConfig(project, restored.Groups[1].Value);

        string output = Path.Combine(packages.Root, "consumer-bin");
        var build = packages.Run("dotnet", project, "build", "-c", "Release", "-o", output);
        Assert.True(build.ExitCode == 0, build.Output);

        // The package the program was built against is the one just packed, byte for byte.
        string id = $"deepscratch.{packages.Version}";
        Assert.Equal(
            File.ReadAllBytes(packages.Package("DeepScratch")),
            File.ReadAllBytes(Path.Combine(packages.NuGetPackagesFolder, "deepscratch", packages.Version, $"{id}.nupkg")));

        var run = packages.Run("dotnet", project, new Dictionary<string, string?> { ["DEEPSCRATCH_DATA"] = TestData.Dir },
            Path.Combine(output, "Consumer.dll"));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("Accuracy: 0.9352", run.Stdout.Trim());
    }
}
