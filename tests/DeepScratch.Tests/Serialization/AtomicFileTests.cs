using System.Diagnostics;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Issue 7 item 15: a save killed mid-write leaves a temporary file that nothing used to remove. The destination stays
/// intact, and the next save of the same destination removes the leftovers of writers that no longer run.
/// </summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_leftover_from_a_killed_save_is_removed_by_the_next_save()
    {
        string target = _folder.Write("model.safetensors", "old"u8.ToArray());
        int dead = DeadProcessId();
        string killed = _folder.Write($".model.safetensors.{dead}-{Guid.NewGuid():N}.tmp", "half"u8.ToArray());

        AtomicFile.Write(target, s => s.Write("new"u8));

        Assert.False(File.Exists(killed));
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_leftover_of_the_older_unnamed_pattern_is_removed_once_it_is_stale()
    {
        string target = _folder.File("model.safetensors");
        string stale = _folder.Write($".model.safetensors.{Guid.NewGuid():N}.tmp", "half"u8.ToArray());
        string fresh = _folder.Write($".model.safetensors.{Guid.NewGuid():N}.tmp", "being written"u8.ToArray());
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));

        AtomicFile.Write(target, s => s.Write("new"u8));

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh)); // may belong to a save in progress by an older version
    }

    [Fact]
    public void Files_of_live_writers_and_of_other_destinations_are_left_alone()
    {
        string target = _folder.File("model.safetensors");
        int dead = DeadProcessId();
        string live = _folder.Write($".model.safetensors.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp", "x"u8.ToArray());
        string other = _folder.Write($".model2.safetensors.{dead}-{Guid.NewGuid():N}.tmp", "x"u8.ToArray());
        string user = _folder.Write("model.safetensors.tmp", "the user's own file"u8.ToArray());
        string odd = _folder.Write($".model.safetensors.{dead}-notours.tmp", "x"u8.ToArray());

        AtomicFile.Write(target, s => s.Write("new"u8));

        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
        Assert.True(File.Exists(user));
        Assert.True(File.Exists(odd));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        string target = _folder.Write("model.safetensors", "old"u8.ToArray());

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, s =>
        {
            s.Write("partial"u8);
            throw new IOException("disk full");
        }));

        Assert.Contains("disk full", e.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void The_temporary_name_records_the_writer_beside_the_destination()
    {
        string full = _folder.File("m.safetensors");

        string name = AtomicFile.TemporaryName(full, 4321);

        Assert.Equal(_folder.Path, Path.GetDirectoryName(name));
        Assert.Matches(@"^\.m\.safetensors\.4321-[0-9a-f]{32}\.tmp$", Path.GetFileName(name));
    }

    /// <summary>The id of a process that has exited (ids are reused only after many others, far beyond a test's life).</summary>
    internal static int DeadProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
