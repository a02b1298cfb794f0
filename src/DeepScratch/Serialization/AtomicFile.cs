namespace DeepScratch.Serialization;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a half-written file:
/// the content goes to a temporary file in the same folder, is flushed to disk, then renamed over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; on any failure the old file is untouched.</summary>
    /// <exception cref="IOException">The file cannot be written there; the message names the path and the reason.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        CheckWritable(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
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

        string probe = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: files cannot be created in {folder}.", e);
        }
    }
}
