namespace DeepScratch.Tests.Serialization;

/// <summary>
/// A temporary file of a given length that takes no disk space (sparse), deleted on dispose: for the readers'
/// size limits, which must refuse such a file without reading it.
/// </summary>
internal sealed class SparseFile : IDisposable
{
    public SparseFile(string extension, long length)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"deepscratch-huge-{Guid.NewGuid():N}{extension}");
        using var file = File.Create(Path);
        file.SetLength(length);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
