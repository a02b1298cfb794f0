using System.Security.Cryptography;
using System.Text;

namespace DeepScratch.Tests.Examples;

/// <summary>
/// Runs a C# file-based app with the command a learner types (<c>dotnet run FILE.cs [-- ARGS]</c>), then deletes the
/// build cache the .NET SDK keeps for that file under <see cref="CacheRoot"/>: tens of MB a file, never removed by
/// the SDK within weeks, so test runs that build new script paths (temp folders) would fill the disk.
/// </summary>
/// <remarks>
/// <c>--artifacts-path</c> is not used: the SDK 10.0.4xx still writes a small folder under <see cref="CacheRoot"/> with
/// it, and it sends the referenced library's build into that folder too (one library build per script run).
/// </remarks>
internal static class FileBasedApp
{
    /// <summary>
    /// Runs <c>dotnet run <paramref name="file"/></c> (with <c>-- <paramref name="args"/></c> when there are any) in
    /// <paramref name="workingDirectory"/> through <see cref="ChildProcess.Run(string, IEnumerable{string}, string, IReadOnlyDictionary{string, string?}, TimeSpan)"/>,
    /// and deletes the file's build cache afterwards, whatever the outcome.
    /// </summary>
    /// <exception cref="TimeoutException">It did not finish within <paramref name="limit"/> (it is killed; the cache is still deleted).</exception>
    public static ProcessOutcome Run(
        string file, string[] args, string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan limit)
    {
        string[] command = args.Length == 0 ? ["run", file] : ["run", file, "--", .. args];
        try
        {
            return ChildProcess.Run("dotnet", command, workingDirectory, environment, limit);
        }
        finally
        {
            DeleteCache(file);
        }
    }

    /// <summary>
    /// Where the SDK builds file-based apps: <c>dotnet/runfile</c> in the local application data folder
    /// (<c>$XDG_DATA_HOME</c>, else <c>~/.local/share</c>, on Linux).
    /// </summary>
    public static string CacheRoot =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "dotnet", "runfile");

    /// <summary>
    /// The SDK's build folder for <paramref name="file"/>: <c>NAME-HASH</c>, HASH the lower-case hex SHA-256 of the
    /// upper-cased full path (as the SDK 10 names it; <c>FileBasedAppCacheTests</c> checks this against the folder a
    /// running app reports).
    /// </summary>
    public static string CacheFolder(string file)
    {
        string fullPath = Path.GetFullPath(file);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fullPath.ToUpperInvariant())));
        return Path.Combine(CacheRoot, $"{Path.GetFileNameWithoutExtension(fullPath)}-{hash}");
    }

    private static void DeleteCache(string file)
    {
        string folder = CacheFolder(file);
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder still in use (a killed run's leftover process) is left; FileBasedAppCacheTests guards the normal case.
        }
    }
}
