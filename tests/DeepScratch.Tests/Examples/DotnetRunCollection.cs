namespace DeepScratch.Tests.Examples;

/// <summary>
/// The test classes that build file-based apps with <c>dotnet run</c> against the library project (the chapter scripts,
/// the README's code blocks): one at a time, since two builds of the same project at once can collide in its obj folder.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DotnetRunCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "dotnet run";
}
