namespace DeepScratch.Data;

/// <summary>
/// A file DeepScratch knows how to find and fetch: where it lives under the data folder, where it can be
/// downloaded from (in order of preference) and the checksums a download must match.
/// </summary>
/// <param name="Folder">The sub-folder of the data folder, e.g. "mnist" or "weights".</param>
/// <param name="FileName">The file name as published, e.g. "t10k-images-idx3-ubyte.gz".</param>
/// <param name="Urls">Mirrors, tried in order.</param>
/// <param name="Digests">A download is accepted when any of these match.</param>
/// <param name="SystemFolder">A system-wide folder that may already hold the file (a Debian data package).</param>
/// <param name="LooseInRoot">
/// Whether the file may also lie directly in the data folder, as the book's own <c>dataset/</c> folder keeps the MNIST
/// files (only for names no other dataset shares: Fashion-MNIST reuses MNIST's names, so it needs its sub-folder).
/// </param>
public sealed record DatasetFile(
    string Folder,
    string FileName,
    IReadOnlyList<Uri> Urls,
    IReadOnlyList<FileDigest> Digests,
    string? SystemFolder = null,
    bool LooseInRoot = false)
{
    /// <summary>The path relative to the data folder, with '/' separators, for messages.</summary>
    public string RelativePath => $"{Folder}/{FileName}";

    /// <summary>
    /// Names the file may have on disk, the published one first: with or without ".gz" (decompressed), and for IDX
    /// files with a dot before "idx" (<c>t10k-images.idx3-ubyte</c>), as common extract tools and LeCun's page name them.
    /// </summary>
    public IReadOnlyList<string> CandidateNames
    {
        get
        {
            var names = new List<string> { FileName };
            if (FileName.EndsWith(".gz", StringComparison.Ordinal))
            {
                names.Add(FileName[..^3]);
            }

            foreach (string name in names.ToArray())
            {
                int idx = name.LastIndexOf("-idx", StringComparison.Ordinal);
                if (idx > 0)
                {
                    names.Add(string.Concat(name.AsSpan(0, idx), ".", name.AsSpan(idx + 1)));
                }
            }

            return names;
        }
    }

    /// <summary>
    /// Whether <paramref name="name"/> looks like this file under a name that is not accepted (other letter case,
    /// '_' or ' ' for '-'), so a message can say "rename it" instead of "missing".
    /// </summary>
    public bool ResemblesName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Simplify(name);
        return !CandidateNames.Contains(name, StringComparer.Ordinal) && CandidateNames.Any(c => Simplify(c) == key);
    }

    private static string Simplify(string name) =>
        string.Concat(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant));
}
