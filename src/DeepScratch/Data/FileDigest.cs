namespace DeepScratch.Data;

/// <summary>A published checksum of a data file.</summary>
/// <param name="Algorithm">"md5" or "sha256".</param>
/// <param name="Hex">The digest in lower-case hexadecimal.</param>
/// <param name="OfDecompressed">
/// Whether the digest is of the gzip file's decompressed content: mirrors often re-compress the same data,
/// which changes the .gz bytes but not what is inside.
/// </param>
public sealed record FileDigest(string Algorithm, string Hex, bool OfDecompressed = false)
{
    /// <summary>An MD5 digest of the file as published.</summary>
    public static FileDigest Md5(string hex) => new("md5", hex);

    /// <summary>A SHA-256 digest of the file as published.</summary>
    public static FileDigest Sha256(string hex) => new("sha256", hex);

    /// <summary>A SHA-256 digest of the decompressed content.</summary>
    public static FileDigest Sha256OfContent(string hex) => new("sha256", hex, OfDecompressed: true);
}
