using DeepScratch.Serialization;
using DeepScratch.Tests.Data;
using DeepScratch.Tests.Serialization;

namespace DeepScratch.Tests.Hardening;

/// <summary>
/// What the <c>kill</c> harness found: runs killed again and again before their save (at the up-front writability
/// check) piled up temporary files, since only a save removed them. The check removes them too now.
/// </summary>
public sealed class KilledSaveLeftoverTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void The_writability_check_removes_the_leftovers_of_killed_writers_and_leaves_none_of_its_own()
    {
        string target = _folder.Write("model.onnx", "old"u8.ToArray());
        string first = _folder.Write($".model.onnx.{AtomicFileTests.DeadProcessId()}-{Guid.NewGuid():N}.tmp", "probe"u8.ToArray());
        string second = _folder.Write($".model.onnx.{AtomicFileTests.DeadProcessId()}-{Guid.NewGuid():N}.tmp", "half"u8.ToArray());
        string other = _folder.Write($".other.onnx.{AtomicFileTests.DeadProcessId()}-{Guid.NewGuid():N}.tmp", "not ours"u8.ToArray());

        AtomicFile.CheckWritable(target);

        Assert.False(File.Exists(first));
        Assert.False(File.Exists(second));
        Assert.True(File.Exists(other), "another destination's leftovers are its own saves' to remove");
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([Path.GetFileName(other), "model.onnx"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
