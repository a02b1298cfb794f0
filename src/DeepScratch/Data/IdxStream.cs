namespace DeepScratch.Data;

/// <summary>
/// An IDX file being read record by record (an image of <see cref="Rows"/> x <see cref="Columns"/> bytes, or a
/// one-byte label), opened by <see cref="IdxReader.OpenImages(string)"/> or <see cref="IdxReader.OpenLabels(string)"/>. Only the
/// caller's buffer holds data, so a file of any size is read in bounded memory. A file that ends before its header's
/// count, or goes on after it, is reported when that point is reached.
/// </summary>
public sealed class IdxStream : IDisposable
{
    private readonly Stream _source;
    private byte[]? _skipBuffer;

    private readonly bool _labels;

    internal IdxStream(Stream source, string path, int count, int rows, int columns, bool labels)
    {
        _labels = labels;
        _source = source;
        Path = path;
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>Number of records the header announces.</summary>
    public int Count { get; }

    /// <summary>Rows per image (1 for labels).</summary>
    public int Rows { get; }

    /// <summary>Columns per image (1 for labels).</summary>
    public int Columns { get; }

    /// <summary>Bytes per record: <see cref="Rows"/> x <see cref="Columns"/> (784 for MNIST images, 1 for labels).</summary>
    public int RecordSize => Rows * Columns;

    /// <summary>Records read (or skipped) so far.</summary>
    public int Position { get; private set; }

    /// <summary>
    /// Reads the next records into <paramref name="destination"/>, as many as fit whole and remain; returns how many
    /// (0 at the end). Reading the last record also checks that nothing follows it.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated, has bytes beyond its header's count, or its gzip data is broken.</exception>
    public int Read(Span<byte> destination)
    {
        int records = (int)Math.Min(destination.Length / RecordSize, Count - Position);
        if (records == 0)
        {
            return 0;
        }

        int bytes = records * RecordSize;
        int read = IdxReader.ReadFully(_source, destination[..bytes], Path);
        if (read < bytes)
        {
            throw IdxReader.Truncated(Path, What, (long)Count * RecordSize, (long)Position * RecordSize + read);
        }

        Position += records;
        if (Position == Count)
        {
            IdxReader.CheckEnd(_source, Path, What);
        }

        return records;
    }

    /// <summary>Reads past the next <paramref name="records"/> records (a compressed file has to be decompressed to get there).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer records remain.</exception>
    /// <exception cref="InvalidDataException">The file is truncated or broken.</exception>
    public void Skip(int records)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(records);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(records, Count - Position);
        if (_source.CanSeek && records < Count - Position)
        {
            // A raw file is seeked past the records; its size tells whether they are all there.
            long payloadStart = _source.Position - (long)Position * RecordSize;
            long target = _source.Position + (long)records * RecordSize;
            if (target > _source.Length)
            {
                throw IdxReader.Truncated(Path, What, (long)Count * RecordSize, _source.Length - payloadStart);
            }

            _source.Position = target;
            Position += records;
            return;
        }

        _skipBuffer ??= new byte[Math.Max(RecordSize, 1 << 16) / RecordSize * RecordSize];
        while (records > 0)
        {
            int done = Read(_skipBuffer.AsSpan(0, Math.Min(records, _skipBuffer.Length / RecordSize) * RecordSize));
            records -= done;
        }
    }

    private string What => _labels ? $"{Count} labels" : $"{Count} images of {Rows}x{Columns}";

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();
}
