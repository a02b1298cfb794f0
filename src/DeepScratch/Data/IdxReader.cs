using System.Buffers.Binary;
using System.IO.Compression;
using DeepScratch.Serialization;

namespace DeepScratch.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (big-endian header, then raw bytes), raw or gzip-compressed,
/// detected from the bytes and not the file name. Lying headers are caught before anything is allocated on their word.
/// </summary>
public static class IdxReader
{
    /// <summary>The magic number of an image file: unsigned bytes, 3 dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of a label file: unsigned bytes, 1 dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>No deflate stream expands by more than this factor, so a compressed file bounds what it can honestly hold.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads an image file (magic 2051).</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX image file.</exception>
    public static IdxImages ReadImages(string path) => ReadImages(path, DecompressedCache.Default);

    /// <summary>Reads an image file (magic 2051), a gzip one through <paramref name="cache"/> (null: always inflated).</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX image file.</exception>
    internal static IdxImages ReadImages(string path, DecompressedCache? cache)
    {
        using var source = OpenData(path, cache, out long bound, out long sizeHint, out bool compressed);
        Span<byte> header = stackalloc byte[16];
        ReadHeader(source, header, path, ImagesMagic);
        var (count, rows, cols) = ImageDimensions(header, path);
        long payload = (long)count * rows * cols;
        byte[] pixels = ReadPayload(source, compressed, path, payload, bound - header.Length, sizeHint - header.Length, $"{count} images of {rows}x{cols}");
        return new IdxImages(count, rows, cols, pixels);
    }

    /// <summary>Reads a label file (magic 2049): one byte per image.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX label file.</exception>
    public static byte[] ReadLabels(string path) => ReadLabels(path, DecompressedCache.Default);

    /// <summary>Reads a label file (magic 2049), a gzip one through <paramref name="cache"/> (null: always inflated).</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX label file.</exception>
    internal static byte[] ReadLabels(string path, DecompressedCache? cache)
    {
        using var source = OpenData(path, cache, out long bound, out long sizeHint, out bool compressed);
        Span<byte> header = stackalloc byte[8];
        ReadHeader(source, header, path, LabelsMagic);
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0)
        {
            throw new InvalidDataException($"{path}: negative label count {count}; the file is corrupt.");
        }

        return ReadPayload(source, compressed, path, count, bound - header.Length, sizeHint - header.Length, $"{count} labels");
    }

    /// <summary>
    /// Opens an image file for streaming: the header is read and checked (magic, dimensions, and that the file can
    /// hold what it claims) before any pixel, and the images are then read a batch at a time, so memory is bounded by
    /// the caller's buffer, not by the set.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is not a well-formed IDX image header.</exception>
    public static IdxStream OpenImages(string path) => OpenImages(path, DecompressedCache.Default);

    /// <summary>Opens an image file for streaming (see <see cref="OpenImages(string)"/>), a gzip one through <paramref name="cache"/>.</summary>
    internal static IdxStream OpenImages(string path, DecompressedCache? cache)
    {
        var source = OpenData(path, cache, out long bound, out _, out _);
        try
        {
            Span<byte> header = stackalloc byte[16];
            ReadHeader(source, header, path, ImagesMagic);
            var (count, rows, cols) = ImageDimensions(header, path);
            CheckClaim(path, (long)count * rows * cols, bound - header.Length, $"{count} images of {rows}x{cols}");
            return new IdxStream(source, path, count, rows, cols, labels: false);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Opens a label file for streaming (one byte per record); see <see cref="OpenImages(string)"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is not a well-formed IDX label header.</exception>
    public static IdxStream OpenLabels(string path) => OpenLabels(path, DecompressedCache.Default);

    /// <summary>Opens a label file for streaming (see <see cref="OpenImages(string)"/>), a gzip one through <paramref name="cache"/>.</summary>
    internal static IdxStream OpenLabels(string path, DecompressedCache? cache)
    {
        var source = OpenData(path, cache, out long bound, out _, out _);
        try
        {
            Span<byte> header = stackalloc byte[8];
            ReadHeader(source, header, path, LabelsMagic);
            int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
            if (count < 0)
            {
                throw new InvalidDataException($"{path}: negative label count {count}; the file is corrupt.");
            }

            CheckClaim(path, count, bound - header.Length, $"{count} labels");
            return new IdxStream(source, path, count, 1, 1, labels: true);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static (int Count, int Rows, int Columns) ImageDimensions(ReadOnlySpan<byte> header, string path)
    {
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || rows <= 0 || cols <= 0 || (long)rows * cols > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: impossible IDX image dimensions {count} x {rows} x {cols}; the file is corrupt.");
        }

        return (count, rows, cols);
    }

    /// <summary>
    /// Opens the file, unwrapping gzip when the first two bytes are its magic (1f 8b): from <paramref name="cache"/>'s
    /// decompressed copy when one matches the file, else by inflating it (which writes the copy for next time).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="cache">Where decompressed copies are kept, or null to always inflate.</param>
    /// <param name="bound">The most bytes the content can honestly hold.</param>
    /// <param name="sizeHint">For gzip being inflated, the decompressed size its trailer claims (mod 2^32), when plausible; else 0.</param>
    /// <param name="compressed">Whether the content is being inflated (its size is known only once it is read).</param>
    private static Stream OpenData(string path, DecompressedCache? cache, out long bound, out long sizeHint, out bool compressed)
    {
        sizeHint = 0;
        compressed = false;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file not found: {path}", path);
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            long hint = TrailerSize(file);
            // Buffered: zlib's fast loop needs room for a whole match in its output, so inflating straight into a
            // caller's 100-byte label batch runs its slow per-symbol path (0.5 ms for the 10 KB test labels).
            Stream Inflate() => new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
            bool cached = false;
            var stream = cache is null ? Inflate() : cache.Open(path, file, Inflate, out cached);
            if (cached)
            {
                // The copy matched the source: its bytes are the file's content, of known length.
                file.Dispose();
                bound = stream.Length;
                return stream;
            }

            compressed = true;
            bound = file.Length * MaxDeflateRatio;
            sizeHint = hint;
            return stream;
        }

        bound = file.Length;
        return file;
    }

    /// <summary>Reads the header and checks its magic number first, so a wrong kind of file is named as such.</summary>
    private static void ReadHeader(Stream source, Span<byte> header, string path, int expectedMagic)
    {
        int read = ReadFully(source, header, path);
        string kind = expectedMagic == ImagesMagic ? "image" : "label";
        if (read >= 4)
        {
            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (magic != expectedMagic)
            {
                ThrowIfOtherKindOfFile(path);
                string hint = magic == ImagesMagic ? " (this is an image file)" : magic == LabelsMagic ? " (this is a label file)" : "";
                throw new InvalidDataException(
                    $"{path}: not an IDX {kind} file: magic number {magic} (0x{magic:x8}), expected {expectedMagic}{hint}.");
            }
        }

        if (read < header.Length)
        {
            ThrowIfOtherKindOfFile(path);
            throw new InvalidDataException($"{path}: too short for an IDX {kind} file ({read} bytes, the header alone is {header.Length}).");
        }
    }

    /// <summary>
    /// Names a file that is something else entirely (an HTML error page, a Git LFS pointer, an empty download), also
    /// inside gzip, instead of reporting its first bytes as a magic number.
    /// </summary>
    private static void ThrowIfOtherKindOfFile(string path)
    {
        byte[] head = FileIdentity.ReadHead(path);
        long length = new FileInfo(path).Length;
        if (head is [0x1f, 0x8b, ..])
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            var inner = new byte[FileIdentity.HeadLength];
            try
            {
                int read = gzip.ReadAtLeast(inner, inner.Length, throwOnEndOfStream: false);
                (head, length) = (inner[..read], read);
            }
            catch (InvalidDataException)
            {
                return; // broken gzip: the caller's message stands
            }
        }

        if (FileIdentity.Mismatch(head, length, path, FileKind.Idx, "IDX (MNIST) data") is { } message)
        {
            throw new InvalidDataException(message);
        }
    }

    private static byte[] ReadPayload(Stream source, bool compressed, string path, long expected, long bound, long hint, string what)
    {
        CheckClaim(path, expected, bound, what);

        // A gzip payload is allocated whole only when its trailer agrees with the header and the size is plausible for
        // the compressed file; otherwise the buffer grows with the data actually decompressed.
        bool growing = compressed && hint != expected;
        int read = 0;
        byte[] payload = growing ? ReadGrowing(source, path, (int)expected, out read) : new byte[expected];
        read = growing ? read : ReadFully(source, payload, path);
        if (read < expected)
        {
            throw Truncated(path, what, expected, read);
        }

        CheckEnd(source, path, what);
        return payload;
    }

    /// <summary>Refuses a header whose claim no IDX file, or not this file, can hold, before anything is allocated on its word.</summary>
    private static void CheckClaim(string path, long expected, long bound, string what)
    {
        if (expected > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: header claims {what} ({expected} bytes), more than any IDX file holds; the file is corrupt.");
        }

        if (expected > bound)
        {
            throw new InvalidDataException($"{path}: header claims {what} ({expected} bytes) but the file is far too small to hold them; it is truncated or corrupt.");
        }
    }

    internal static InvalidDataException Truncated(string path, string what, long expected, long read) =>
        new($"{path}: truncated: header claims {what} ({expected} bytes) but only {read} follow. Delete the file and download it again.");

    /// <summary>Checks that nothing follows the payload the header announced.</summary>
    internal static void CheckEnd(Stream source, string path, string what)
    {
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(source, probe, path) != 0)
        {
            throw new InvalidDataException($"{path}: more bytes than its header's {what}; the file is corrupt or not an IDX file.");
        }
    }

    /// <summary>
    /// Real compressed files shrink MNIST about 5 times (Fashion-MNIST 2); a trailer claiming far more is not trusted
    /// for sizing. A file that compresses better still reads, through the growing buffer.
    /// </summary>
    private const long PlausibleRatio = 16;

    /// <summary>The ISIZE field of the gzip trailer (decompressed length mod 2^32) when plausible for the file's size, else 0.</summary>
    private static long TrailerSize(FileStream file)
    {
        if (file.Length < 18)
        {
            return 0;
        }

        Span<byte> trailer = stackalloc byte[4];
        file.Position = file.Length - 4;
        int read = file.ReadAtLeast(trailer, 4, throwOnEndOfStream: false);
        file.Position = 0;
        long size = read == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(trailer) : 0;
        return size <= file.Length * PlausibleRatio ? size : 0;
    }

    /// <summary>
    /// Reads up to <paramref name="expected"/> bytes into a buffer that grows only as data really arrives, so a small
    /// compressed file whose header lies about its size cannot make us allocate gigabytes up front.
    /// </summary>
    /// <remarks>A short read returns the buffer as it is, <paramref name="filled"/> bytes used: the caller refuses it, so no trimmed copy is made.</remarks>
    private static byte[] ReadGrowing(Stream source, string path, int expected, out int filled)
    {
        // Starts at 64 KiB: broken data usually fails within the first block, and doubling costs honest files one copy.
        var buffer = new byte[Math.Min(expected, 1 << 16)];
        filled = 0;
        while (true)
        {
            filled += ReadFully(source, buffer.AsSpan(filled), path);
            if (filled < buffer.Length || buffer.Length == expected)
            {
                break;
            }

            Array.Resize(ref buffer, (int)Math.Min(expected, buffer.Length * 2L));
        }

        return buffer;
    }

    internal static int ReadFully(Stream source, Span<byte> buffer, string path)
    {
        try
        {
            return source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(TextModeDamage(path) is { } advice
                ? $"{path}: broken gzip data ({e.Message}): {advice}, or delete it and download it again."
                : $"{path}: broken gzip data ({e.Message}). Delete the file and download it again.", e);
        }
    }

    /// <summary>
    /// The advice for a broken gzip file that a text-mode copy damaged (every LF byte became CR LF, or CR LF became LF),
    /// or null. Compressed data holds an LF byte every 256 or so, so either pattern over the whole file is a clear sign.
    /// </summary>
    private static string? TextModeDamage(string path)
    {
        const long MaxChecked = 64L << 20; // an MNIST archive is under 10 MB; a bigger file is not checked
        var info = new FileInfo(path);
        if (!info.Exists || info.Length > MaxChecked)
        {
            return null;
        }

        byte[] data = File.ReadAllBytes(path);
        if (FileIdentity.LooksCrLfDamaged(data))
        {
            return FileIdentity.CrLfAdvice;
        }

        // CR LF -> LF: the gzip trailer's size no longer matches, and no CR LF pair is left although ~1 in 65536 byte
        // pairs of compressed data is one; only said for files big enough for that absence to mean something.
        return data.Length >= 1 << 20 && data.AsSpan().IndexOf("\r\n"u8) < 0 ? FileIdentity.CrStrippedAdvice : null;
    }
}
