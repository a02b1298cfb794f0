using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DeepScratch.Serialization;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a half-written file:
/// the content goes to a temporary file in the same folder, is flushed to disk, then renamed over the target.
/// </summary>
/// <remarks>
/// The temporary file is named <c>.NAME.PID-RANDOM.tmp</c> after the destination and the writing process. It is
/// deleted when the write fails and when the process exits or is stopped by a signal (SIGTERM, Ctrl-C) mid-write; a process
/// killed outright (SIGKILL, power loss) cannot clean up, so every later save of the same destination deletes the
/// leftovers of writers that are no longer running.
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>A temporary file older than this, from a version that did not record its process, counts as stale.</summary>
    private static readonly TimeSpan LegacyStaleAge = TimeSpan.FromMinutes(10);

    /// <summary>Temporary files being written by this process, deleted if it exits or is interrupted mid-write.</summary>
    private static readonly ConcurrentDictionary<string, byte> InProgress = new(StringComparer.Ordinal);

    /// <summary>Kept alive for the life of the process: a collected registration stops handling its signal.</summary>
    private static readonly List<PosixSignalRegistration> SignalHandlers = [];

    private static int _exitHookInstalled;

    /// <summary>Taken to create a temporary file and to run the clean-up at exit, so the two never interleave.</summary>
    private static readonly Lock CleanUpGate = new();

    /// <summary>Set by the clean-up at exit or on a signal: no temporary file is created after it.</summary>
    private static bool _endingProcess;

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; on any failure the old file is untouched.</summary>
    /// <exception cref="IOException">The file cannot be written there; the message names the path and the reason.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        CheckWritable(path);
        RemoveStaleTemporaries(full);
        string temp = TemporaryName(full, Environment.ProcessId);
        try
        {
            using (var stream = CreateTemporary(temp, 1 << 16, FileOptions.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: {ErrorText.Fragment(e, endsLine: true)}", e);
        }
        finally
        {
            EndTemporary(temp);
        }
    }

    /// <summary>
    /// Names a new temporary file beside <paramref name="fullPath"/> for a writer that renames it into place itself
    /// (a download, checked before it is kept): stale leftovers are removed first, and the file is deleted if the process
    /// exits or is signalled before <see cref="EndTemporary"/>.
    /// </summary>
    internal static string BeginTemporary(string fullPath)
    {
        RemoveStaleTemporaries(fullPath);
        InstallExitHook();
        string temp = TemporaryName(fullPath, Environment.ProcessId);
        InProgress[temp] = 0;
        return temp;
    }

    /// <summary>
    /// Creates <paramref name="temp"/> and records it for the clean-up at exit, under the lock that clean-up takes: a
    /// signal's clean-up runs either before (this throws, nothing is created) or after (and deletes the file), never
    /// between the file's creation and its record, which would leave the file behind.
    /// </summary>
    private static FileStream CreateTemporary(string temp, int bufferSize, FileOptions options)
    {
        InstallExitHook();
        lock (CleanUpGate)
        {
            if (_endingProcess)
            {
                throw new IOException("the process is stopping");
            }

            InProgress[temp] = 0;
            return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize, options);
        }
    }

    /// <summary>Deletes <paramref name="temp"/> if it is still there (not renamed into place) and forgets it.</summary>
    internal static void EndTemporary(string temp)
    {
        DeleteQuietly(temp);
        InProgress.TryRemove(temp, out _);
    }

    /// <summary>The temporary file a process with id <paramref name="processId"/> writes before renaming it to <paramref name="fullPath"/>.</summary>
    internal static string TemporaryName(string fullPath, int processId) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!,
            $".{Path.GetFileName(fullPath)}.{processId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Deletes temporary files left beside <paramref name="fullPath"/> by writers that no longer run: those named
    /// with a process id that is not alive, and those of the older unnamed pattern (<c>.NAME.RANDOM.tmp</c>) that have
    /// not been touched for <see cref="LegacyStaleAge"/>. A live writer's file is left alone.
    /// </summary>
    internal static void RemoveStaleTemporaries(string fullPath)
    {
        string folder = Path.GetDirectoryName(fullPath)!;
        string prefix = "." + Path.GetFileName(fullPath) + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, "*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            string name = Path.GetFileName(candidate);
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || InProgress.ContainsKey(candidate))
            {
                continue;
            }

            string tail = name[prefix.Length..];
            var owned = OwnedTemporary().Match(tail);
            bool stale = owned.Success
                ? int.TryParse(owned.Groups[1].ValueSpan, CultureInfo.InvariantCulture, out int owner) && !IsRunning(owner)
                : LegacyTemporary().IsMatch(tail) && DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate) > LegacyStaleAge;
            if (stale)
            {
                DeleteQuietly(candidate);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="first"/> and <paramref name="second"/> name the same file: their full paths after every
    /// symbolic link on the way is followed (a linked folder as well as a linked file), compared ignoring case on
    /// Windows and macOS, whose file systems usually do. Hard links to one file are not detected. Neither file needs to
    /// exist; a path that does not exist is compared as written (made absolute).
    /// </summary>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    public static bool IsSameFile(string first, string second)
    {
        ArgumentException.ThrowIfNullOrEmpty(first);
        ArgumentException.ThrowIfNullOrEmpty(second);
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return string.Equals(Canonical(first, 0), Canonical(second, 0), comparison);
    }

    /// <summary>The absolute path with each symbolic link among its parts replaced by its target (at most 40 deep, as Linux).</summary>
    private static string Canonical(string path, int depth)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        foreach (string part in full[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (depth < 40 && info.LinkTarget is { } target)
            {
                // A relative target is relative to the link's folder, and may itself pass through links.
                current = Canonical(Path.Combine(Path.GetDirectoryName(current) ?? root, target), depth + 1);
            }
        }

        return current;
    }

    /// <summary>
    /// Checks, before any long work, that <paramref name="path"/> names a file (not a folder) in an existing folder
    /// where a file can be created.
    /// </summary>
    /// <exception cref="IOException">It cannot be written; the message says why.</exception>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (Directory.Exists(full) || folder is null)
        {
            throw new IOException($"cannot write {path}: it is a folder; give a file name.");
        }

        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"cannot write {path}: folder {folder} does not exist.");
        }

        // Named as a temporary file of this process, and leftovers of killed writers go first: a run killed at this check,
        // again and again before it reaches its save, leaves at most one file beside the destination.
        RemoveStaleTemporaries(full);
        string probe = TemporaryName(full, Environment.ProcessId);
        try
        {
            using (CreateTemporary(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: files cannot be created in {folder}.", e);
        }
        finally
        {
            // A signal during the probe must delete it too: DeleteOnClose does not run when the process is ended.
            EndTemporary(probe);
        }
    }

    /// <summary>
    /// On process exit and on the signals that end a process (SIGTERM, Ctrl-C's SIGINT, SIGHUP, SIGQUIT), deletes the
    /// temporary files of writes still in progress; the destination is untouched because the rename has not happened.
    /// A command that cancels Ctrl-C to keep running then sees its save fail with an IOException, never a partial file.
    /// </summary>
    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteInProgress();

        // The runtime's default for these signals ends the process without raising ProcessExit; the handlers run first
        // and leave the default (termination) in place.
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            try
            {
                SignalHandlers.Add(PosixSignalRegistration.Create(signal, _ => DeleteInProgress()));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGHUP and SIGQUIT do not exist on Windows; Ctrl-C still reaches ProcessExit there.
            }
        }
    }

    private static void DeleteInProgress()
    {
        lock (CleanUpGate)
        {
            _endingProcess = true;
            foreach (string temp in InProgress.Keys)
            {
                DeleteQuietly(temp);
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another writer's file, or a folder we may not modify: leaving it is harmless.
        }
    }

    /// <summary>This version's temporary name after the destination: <c>PID-32 hex digits.tmp</c>.</summary>
    [GeneratedRegex("^([0-9]{1,10})-[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex OwnedTemporary();

    /// <summary>The earlier versions' temporary name after the destination: <c>32 hex digits.tmp</c>.</summary>
    [GeneratedRegex("^[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex LegacyTemporary();
}
