using System.IO.Compression;

namespace DeepScratch.Hardening;

/// <summary>A harness's private temporary folder (<c>deepscratch-NAME-XXXX</c> under the temp path), deleted on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    /// <summary>Creates a fresh, empty folder for the harness <paramref name="name"/>.</summary>
    public ScratchFolder(string name)
    {
        Path = Directory.CreateTempSubdirectory($"deepscratch-{name}-").FullName;
        Cleanup.Track(this);
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Deletes the folder; a leftover (a child or an abandoned reader thread still holding a file) is not worth failing the run over.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is DirectoryNotFoundException)
        {
            // Already deleted (by the signal clean-up, or a second dispose).
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the system's temp cleaning (and still tracked, so a signal's clean-up tries again).
            return;
        }

        Cleanup.Untrack(this);
    }
}

/// <summary>
/// The one place that stops a harness's children and deletes its scratch folders when it is interrupted:
/// on SIGINT, SIGTERM (and process exit) every tracked child process tree is killed and every tracked
/// <see cref="ScratchFolder"/> deleted, so Ctrl-C leaves no orphaned <c>serve</c> and no /tmp/deepscratch-* folder.
/// </summary>
internal static class Cleanup
{
    private static readonly Lock Gate = new();
    private static readonly Lock Running = new();
    private static readonly HashSet<System.Diagnostics.Process> Processes = [];
    private static readonly HashSet<ScratchFolder> Folders = [];
    private static readonly List<System.Runtime.InteropServices.PosixSignalRegistration> Registrations = [];

    /// <summary>Installs the SIGINT, SIGTERM and process-exit handlers (once, from <see cref="Program.Main"/>).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (Registrations.Count > 0)
            {
                return;
            }

            foreach (var signal in new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM })
            {
                // Cancel stays false: after the clean-up the runtime ends the process as the signal asks.
                Registrations.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, _ => Run()));
            }
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Run();
    }

    /// <summary>Records a started child, killed (with its tree) on a signal until <see cref="Untrack(System.Diagnostics.Process)"/>.</summary>
    public static void Track(System.Diagnostics.Process process)
    {
        lock (Gate)
        {
            Processes.Add(process);
        }
    }

    /// <summary>Forgets a child that has ended or was stopped by its harness.</summary>
    public static void Untrack(System.Diagnostics.Process process)
    {
        lock (Gate)
        {
            Processes.Remove(process);
        }
    }

    /// <summary>Tracks <paramref name="process"/> until the returned scope is disposed (declare it after the process's own <c>using</c>).</summary>
    public static IDisposable Scope(System.Diagnostics.Process process)
    {
        Track(process);
        return new Untracker(process);
    }

    private sealed class Untracker(System.Diagnostics.Process process) : IDisposable
    {
        public void Dispose() => Untrack(process);
    }

    /// <summary>Records a scratch folder, deleted on a signal until disposed.</summary>
    public static void Track(ScratchFolder folder)
    {
        lock (Gate)
        {
            Folders.Add(folder);
        }
    }

    /// <summary>Forgets a disposed scratch folder.</summary>
    public static void Untrack(ScratchFolder folder)
    {
        lock (Gate)
        {
            Folders.Remove(folder);
        }
    }

    /// <summary>Kills every tracked child tree (first, so none still writes into a folder), then deletes every tracked folder.</summary>
    public static void Run()
    {
        // One clean-up at a time: the process-exit handler waits for a signal's clean-up still deleting.
        lock (Running)
        {
            RunOnce();
        }
    }

    private static void RunOnce()
    {
        System.Diagnostics.Process[] processes;
        ScratchFolder[] folders;
        lock (Gate)
        {
            processes = [.. Processes];
            folders = [.. Folders];
        }

        foreach (var process in processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // Already ended or never started: nothing to stop.
            }

            Untrack(process);
        }

        // The harness's own threads keep writing into the folders until the process ends: retry a deletion that raced one.
        for (int attempt = 0; attempt < 20 && folders.Any(f => Directory.Exists(f.Path)); attempt++)
        {
            foreach (var folder in folders)
            {
                folder.Dispose();
            }

            Thread.Sleep(attempt == 0 ? 0 : 50);
        }
    }
}

/// <summary>The gzip helpers of the harnesses' seeds and served files.</summary>
internal static class Gzip
{
    /// <summary><paramref name="data"/> gzip-compressed (fastest level).</summary>
    public static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary><paramref name="data"/> decompressed (trusted input: the real data files).</summary>
    public static byte[] Decompress(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
