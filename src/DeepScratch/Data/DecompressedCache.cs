using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Text;
using DeepScratch.Serialization;

namespace DeepScratch.Data;

/// <summary>
/// Decompressed copies of gzip IDX files (the book's own trick, its <c>mnist.pkl</c>), kept in a per-user cache
/// folder so that a later run maps the bytes instead of inflating them again (about 20 ms for the 7.8 MB test images).
/// A copy is used only when it provably matches its source: the source's full path, length and modification time as
/// recorded, the CRC-32 of the whole compressed source file as recorded, and the copy's own content whose CRC-32 and
/// length are those the source's gzip trailer states. Anything else (a changed or replaced source, a truncated or
/// damaged copy, a copy from another format version, an unwritable folder) falls back to decoding the source, and
/// the copy is written again where the folder allows. Copies are written to a temporary file and renamed into place,
/// so concurrent first runs never see half a copy.
/// </summary>
/// <remarks>
/// File layout (little-endian): the 8 bytes <c>DSIDXGZ\0</c>, format version (int32), source length (int64), source
/// modification time (UTC ticks, int64), CRC-32 of the compressed source (uint32), the source trailer's CRC-32 and
/// ISIZE (uint32 each), the source's full path (int32 byte count, UTF-8), then the decompressed IDX bytes.
/// </remarks>
internal sealed class DecompressedCache
{
    /// <summary>The format version written into every copy; a copy of any other version is not used and is replaced.</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// Compressed files shorter than this (the label files) inflate in well under a millisecond: they are not copied,
    /// which would cost as much as it saves.
    /// </summary>
    public const long MinimumCompressedLength = 64 << 10;

    /// <summary>The name of the sub-folder of the per-user cache that holds the copies.</summary>
    public const string FolderName = "decompressed";

    private static readonly byte[] Magic = "DSIDXGZ\0"u8.ToArray();

    /// <summary>Magic, version, length, time, source CRC, trailer CRC, ISIZE, path length.</summary>
    private const int FixedHeaderLength = 8 + 4 + 8 + 8 + 4 + 4 + 4 + 4;

    /// <summary>The longest recorded path accepted when reading a copy's header (longer means the header is damaged).</summary>
    private const int MaxPathBytes = 1 << 16;

    private static readonly Lazy<DecompressedCache?> DefaultCache = new(() =>
        Path.IsPathFullyQualified(DataStore.DefaultDirectory) ? new DecompressedCache(Path.Combine(DataStore.DefaultDirectory, FolderName)) : null);

    /// <summary>A cache in <paramref name="folder"/> (created when the first copy is written).</summary>
    public DecompressedCache(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
    }

    /// <summary>The folder of the copies, absolute.</summary>
    public string Folder { get; }

    private int _hits;
    private int _copiesWritten;

    /// <summary>Reads served from a copy by this instance (for tests: a hit is otherwise invisible).</summary>
    internal int Hits => Volatile.Read(ref _hits);

    /// <summary>Copies this instance wrote and renamed into place.</summary>
    internal int CopiesWritten => Volatile.Read(ref _copiesWritten);

    /// <summary>
    /// The cache the IDX readers use: <c>decompressed/</c> in <see cref="DataStore.DefaultDirectory"/> (the per-user
    /// cache, never the data folder, which may be read-only); null, so nothing is cached, when that folder is not an
    /// absolute path (no home folder and no absolute <c>XDG_CACHE_HOME</c>: a relative one would litter the current folder).
    /// </summary>
    public static DecompressedCache? Default => DefaultCache.Value;

    /// <summary>Where the copy of <paramref name="sourcePath"/> is kept: its name without .gz, a hash of its full path, .idx.</summary>
    public string PathFor(string sourcePath)
    {
        string full = Path.GetFullPath(sourcePath);
        ulong hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(full));
        string name = Path.GetFileName(full);
        name = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
        return Path.Combine(Folder, $"{name}.{hash.ToString("x16", CultureInfo.InvariantCulture)}.idx");
    }

    /// <summary>
    /// The decompressed content of the gzip file <paramref name="source"/> (open at <paramref name="sourcePath"/>) from
    /// a copy that matches it, as a read-only seekable stream over the mapped copy; or, when there is no such copy, the
    /// source inflated through a stream that also writes a new copy, kept only if the whole content is read and
    /// matches the trailer. <paramref name="cached"/> says which.
    /// </summary>
    /// <remarks>Never throws for the cache's sake: a cache that cannot be read or written only costs the inflating.</remarks>
    internal Stream Open(string sourcePath, FileStream source, Func<Stream> inflate, out bool cached)
    {
        cached = false;
        if (source.Length < MinimumCompressedLength)
        {
            return inflate();
        }

        SourceIdentity identity;
        try
        {
            identity = SourceIdentity.Of(sourcePath, source);
        }
        catch (IOException)
        {
            return inflate();
        }

        string copy = PathFor(sourcePath);
        if (TryMap(copy, identity) is { } hit)
        {
            Interlocked.Increment(ref _hits);
            cached = true;
            return hit;
        }

        return Filling.Start(this, copy, identity, inflate());
    }

    /// <summary>The copy at <paramref name="copy"/> mapped, when it exists and matches <paramref name="identity"/>; else null.</summary>
    private static MappedCopy? TryMap(string copy, SourceIdentity identity)
    {
        FileStream? file = null;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            try
            {
                file = new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }

            long length = file.Length;
            byte[] expectedHeader = identity.Header();
            // The content must be what the trailer states (ISIZE is its length mod 2^32) and fit a span.
            if (length < expectedHeader.Length || length - expectedHeader.Length > Array.MaxLength)
            {
                file.Dispose();
                return Reject(copy);
            }

            map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            file = null; // owned by the map now
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            var mapped = new MappedCopy(map, view, expectedHeader.Length, length - expectedHeader.Length);
            if (!mapped.Header.SequenceEqual(expectedHeader) || !identity.Describes(mapped.Content))
            {
                mapped.Dispose();
                return Reject(copy);
            }

            return mapped;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            view?.Dispose();
            map?.Dispose();
            file?.Dispose();
            return null;
        }
    }

    /// <summary>Deletes a copy that does not match (another source, version, or damaged) so that it is written again.</summary>
    private static MappedCopy? Reject(string copy)
    {
        DeleteQuietly(copy);
        return null;
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A copy we cannot remove is rejected again next time; the data still comes from the source.
        }
    }

    /// <summary>
    /// Removes copies whose source no longer exists and files that are not copies of this version, so the folder does
    /// not grow with every file ever read. Run after a new copy is written (rare), never on the fast path.
    /// </summary>
    private static void Prune(string folder, string keep)
    {
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(folder, "*.idx").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string file in files.Where(f => f != keep))
        {
            if (RecordedSource(file) is not { } source || !File.Exists(source))
            {
                DeleteQuietly(file);
            }
        }
    }

    /// <summary>The source path a copy of this version records, or null when the file is not one (or cannot be read).</summary>
    internal static string? RecordedSource(string copy)
    {
        try
        {
            using var file = new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            Span<byte> head = stackalloc byte[FixedHeaderLength];
            if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length
                || !head[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(head[8..]) != FormatVersion)
            {
                return null;
            }

            int pathBytes = BinaryPrimitives.ReadInt32LittleEndian(head[(FixedHeaderLength - 4)..]);
            if (pathBytes is <= 0 or > MaxPathBytes)
            {
                return null;
            }

            var path = new byte[pathBytes];
            return file.ReadAtLeast(path, pathBytes, throwOnEndOfStream: false) == pathBytes ? Encoding.UTF8.GetString(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>What a copy must match: the source as it is now.</summary>
    private sealed record SourceIdentity(string FullPath, long Length, long ModifiedTicks, uint SourceCrc, uint TrailerCrc, uint TrailerSize)
    {
        /// <summary>Reads the source's identity: its stat, the CRC-32 of all its bytes, its gzip trailer.</summary>
        public static SourceIdentity Of(string path, FileStream source)
        {
            // From the open handle, not the path: a file renamed over the path meanwhile is not mixed with this one.
            long length = source.Length;
            long ticks = File.GetLastWriteTimeUtc(source.SafeFileHandle).Ticks;
            var crc = new Crc32();
            byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 18);
            try
            {
                long offset = 0;
                int read;
                while ((read = RandomAccess.Read(source.SafeFileHandle, buffer, offset)) > 0)
                {
                    crc.Append(buffer.AsSpan(0, read));
                    offset += read;
                }

                if (offset != length || length < 18)
                {
                    throw new IOException("the source changed while it was read");
                }

                Span<byte> trailer = stackalloc byte[8];
                RandomAccess.Read(source.SafeFileHandle, trailer, length - 8);
                return new SourceIdentity(Path.GetFullPath(path), length, ticks, crc.GetCurrentHashAsUInt32(),
                    BinaryPrimitives.ReadUInt32LittleEndian(trailer), BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>The header a copy of this source starts with.</summary>
        public byte[] Header()
        {
            byte[] path = Encoding.UTF8.GetBytes(FullPath);
            var header = new byte[FixedHeaderLength + path.Length];
            var span = header.AsSpan();
            Magic.CopyTo(span);
            BinaryPrimitives.WriteInt32LittleEndian(span[8..], FormatVersion);
            BinaryPrimitives.WriteInt64LittleEndian(span[12..], Length);
            BinaryPrimitives.WriteInt64LittleEndian(span[20..], ModifiedTicks);
            BinaryPrimitives.WriteUInt32LittleEndian(span[28..], SourceCrc);
            BinaryPrimitives.WriteUInt32LittleEndian(span[32..], TrailerCrc);
            BinaryPrimitives.WriteUInt32LittleEndian(span[36..], TrailerSize);
            BinaryPrimitives.WriteInt32LittleEndian(span[40..], path.Length);
            path.CopyTo(span[FixedHeaderLength..]);
            return header;
        }

        /// <summary>Whether <paramref name="content"/> is what the trailer states: its length (mod 2^32) and CRC-32.</summary>
        public bool Describes(ReadOnlySpan<byte> content) =>
            (uint)content.Length == TrailerSize && Crc32.HashToUInt32(content) == TrailerCrc;
    }

    /// <summary>A copy mapped read-only: the stream reads its content, past the header, with no copy but the caller's.</summary>
    private sealed unsafe class MappedCopy : UnmanagedMemoryStream
    {
        private readonly MemoryMappedFile _map;
        private readonly MemoryMappedViewAccessor _view;
        private readonly byte* _base;
        private readonly long _headerLength;

        public MappedCopy(MemoryMappedFile map, MemoryMappedViewAccessor view, long headerLength, long contentLength)
        {
            _map = map;
            _view = view;
            _headerLength = headerLength;
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _base = pointer + view.PointerOffset;
            Initialize(_base + headerLength, contentLength, contentLength, FileAccess.Read);
        }

        private int _released;

        public ReadOnlySpan<byte> Header => new(_base, (int)_headerLength);

        /// <summary>The decompressed bytes (at most <see cref="Array.MaxLength"/>, checked before mapping).</summary>
        public ReadOnlySpan<byte> Content => new(_base + _headerLength, (int)Length);

        protected override void Dispose(bool disposing)
        {
            // Streams may be disposed more than once; the pointer must be released exactly once.
            if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _map.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// The inflating stream, passed through while every byte read is also written to a temporary copy; when the reader
    /// reaches the end and the content matches the trailer, the copy is renamed into place. A reader that stops early,
    /// a failed write or a mismatch leaves no copy. Writing problems are swallowed: the reader still gets its data.
    /// </summary>
    private sealed class Filling : Stream
    {
        private readonly Stream _inner;
        private readonly string _copy;
        private readonly SourceIdentity _identity;
        private readonly Crc32 _crc = new();
        private readonly DecompressedCache _cache;
        private FileStream? _temp;
        private string? _tempPath;
        private long _written;

        private Filling(DecompressedCache cache, Stream inner, string copy, SourceIdentity identity)
        {
            _cache = cache;
            _inner = inner;
            _copy = copy;
            _identity = identity;
        }

        public static Stream Start(DecompressedCache cache, string copy, SourceIdentity identity, Stream inner) =>
            new Filling(cache, inner, copy, identity).Begin();

        private Filling Begin()
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_copy)!);
                _tempPath = AtomicFile.BeginTemporary(_copy);
                // No fsync: a copy cut short by a crash fails its CRC check and is written again.
                _temp = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                _temp.Write(_identity.Header());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Abandon();
            }

            return this;
        }

        public override int Read(Span<byte> buffer)
        {
            int read = _inner.Read(buffer);
            if (_temp is null)
            {
                return read;
            }

            if (read == 0 && buffer.Length > 0)
            {
                Finish();
                return 0;
            }

            try
            {
                _crc.Append(buffer[..read]);
                _temp.Write(buffer[..read]);
                _written += read;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Abandon();
            }

            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        /// <summary>The whole content has been read: kept if it is what the trailer says.</summary>
        private void Finish()
        {
            try
            {
                if ((uint)_written != _identity.TrailerSize || _crc.GetCurrentHashAsUInt32() != _identity.TrailerCrc)
                {
                    Abandon(); // e.g. a multi-member gzip, whose trailer covers its last member only
                    return;
                }

                _temp!.Dispose();
                _temp = null;
                File.Move(_tempPath!, _copy, overwrite: true);
                AtomicFile.EndTemporary(_tempPath!);
                _tempPath = null;
                Interlocked.Increment(ref _cache._copiesWritten);
                Prune(_cache.Folder, _copy);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Abandon();
            }
        }

        private void Abandon()
        {
            try
            {
                _temp?.Dispose();
            }
            catch (IOException)
            {
                // Closing a temporary that will be deleted anyway.
            }

            _temp = null;
            if (_tempPath is not null)
            {
                AtomicFile.EndTemporary(_tempPath);
                _tempPath = null;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Abandon();
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
