using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DeepScratch.Serialization;

/// <summary>
/// The one identification step every reader runs (pickle, safetensors, IDX, gzip): it recognises files that are
/// something else entirely (a web page, a Git LFS pointer, an image, an archive, an empty or cut-short download) so
/// the user is told what the file is, instead of a message about the wrong format such as "unknown opcode".
/// Only positive signatures are trusted; anything unrecognised is left to the reader that was asked for.
/// </summary>
internal static class FileIdentity
{
    /// <summary>Bytes of the file's start that identification looks at.</summary>
    public const int HeadLength = 512;

    private const string LfsSignature = "version https://git-lfs.github.com/spec/";

    /// <summary>Identifies the file whose first bytes are <paramref name="head"/> and whose size is <paramref name="fileLength"/>.</summary>
    public static (FileKind Kind, string Name) Identify(ReadOnlySpan<byte> head, long fileLength)
    {
        if (fileLength == 0 || head.IsEmpty)
        {
            return (FileKind.Empty, "an empty file");
        }

        if (SafeTensorsHeaderLength(head, out ulong headerLength))
        {
            return (ulong)(fileLength - 8) >= headerLength
                ? (FileKind.SafeTensors, "a safetensors file")
                : (FileKind.TruncatedSafeTensors, "a truncated safetensors file");
        }

        // After safetensors: a header length such as 640 starts with the bytes 80 02, like a protocol 2 pickle.
        if (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5)
        {
            return (FileKind.Pickle, "a Python pickle");
        }

        if (head.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(head) is 0x0803 or 0x0801)
        {
            return (FileKind.Idx, "an IDX (MNIST) file");
        }

        (FileKind, string)? binary = head switch
        {
            [0x1f, 0x8b, ..] => (FileKind.Gzip, "a gzip-compressed file"),
            [(byte)'P', (byte)'K', 3 or 5 or 7, 4 or 6 or 8, ..] => (FileKind.Zip,
                "a zip archive (a PyTorch checkpoint, a numpy .npz or a Keras file?)"),
            [(byte)'B', (byte)'Z', (byte)'h', >= (byte)'1' and <= (byte)'9', ..] => (FileKind.Compressed, "bzip2-compressed"),
            [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => (FileKind.Compressed, "xz-compressed"),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => (FileKind.Compressed, "zstd-compressed"),
            [(byte)'7', (byte)'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => (FileKind.Archive, "a 7-Zip archive"),
            [(byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1a, 0x07, ..] => (FileKind.Archive, "a RAR archive"),
            [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', ..] => (FileKind.Npy, "a single numpy array (.npy, from np.save)"),
            [0x89, (byte)'H', (byte)'D', (byte)'F', ..] => (FileKind.Hdf5, "an HDF5 file (Keras .h5 weights?)"),
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => (FileKind.Image, "a PNG image"),
            [0xff, 0xd8, 0xff, ..] => (FileKind.Image, "a JPEG image"),
            [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => (FileKind.Image, "a GIF image"),
            [(byte)'B', (byte)'M', ..] when head.Length >= 14 && BinaryPrimitives.ReadUInt32LittleEndian(head[2..]) == fileLength
                => (FileKind.Image, "a BMP image"),
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => (FileKind.Image, "a WebP image"),
            [(byte)'%', (byte)'P', (byte)'D', (byte)'F', ..] => (FileKind.Pdf, "a PDF document"),
            _ => null,
        };
        if (binary is { } found)
        {
            return found;
        }

        return IdentifyText(head);
    }

    /// <summary>
    /// The one-line refusal for a file that is clearly not <paramref name="expected"/>, or null when it may be one.
    /// <paramref name="what"/> names what the caller wanted, e.g. "the model" or "MNIST data".
    /// </summary>
    public static string? Mismatch(ReadOnlySpan<byte> head, long fileLength, string source, FileKind expected, string what)
    {
        var (kind, name) = Identify(head, fileLength);
        if (kind == expected || kind == FileKind.Unknown)
        {
            return null;
        }

        return kind switch
        {
            FileKind.Empty => $"{source}: the file is empty (0 bytes), too short to be {what}: the download or copy did not finish; fetch the file again.",
            FileKind.GitLfsPointer => $"{source}: the file is a Git LFS pointer, not {what}: fetch the real file (git lfs pull).",
            FileKind.Html => $"{source}: the file is an HTML page (a download error page?), not {what}: download the file again.",
            FileKind.TruncatedSafeTensors => Truncated(head, fileLength, source),
            FileKind.Text or FileKind.Json => $"{source}: the file is {name}, not {what} (it reads \"{Snippet(head)}\" at byte 0).",
            FileKind.Gzip => $"{source}: the file is {name}, not {what}: decompress it first (e.g. gunzip).",
            FileKind.Compressed => $"{source}: the file is {name}, not {what}: decompress it ({DecompressTool(name)}) first.",
            FileKind.Archive => $"{source}: the file is {name}, not {what}: extract it ({(name.Contains("RAR", StringComparison.Ordinal) ? "unrar x" : "7z x")}) and use the file inside.",
            // A data file is never a checkpoint: a zip among the MNIST files is the download's archive.
            FileKind.Zip when expected == FileKind.Idx => $"{source}: the file is a zip archive, not {what}: extract it (unzip) and use the files inside.",
            _ => $"{source}: the file is {name}, not {what}.",
        };
    }

    private static string DecompressTool(string name) => name switch
    {
        "bzip2-compressed" => "bunzip2",
        "xz-compressed" => "unxz",
        _ => "unzstd",
    };

    /// <summary>
    /// Whether <paramref name="data"/> looks like binary data whose CR LF pairs a text-mode copy turned into LF (the
    /// reverse of <see cref="LooksCrLfDamaged"/>), given that it is <paramref name="missing"/> bytes shorter than its
    /// own header says: every missing byte can be a CR removed before one of its LF bytes, and not one CR LF pair is
    /// left, although binary data holds one every 64 KiB or so.
    /// </summary>
    public static bool LooksCrStripped(ReadOnlySpan<byte> data, long missing)
    {
        if (missing <= 0 || data.IndexOf("\r\n"u8) >= 0)
        {
            return false;
        }

        return data.Count((byte)'\n') >= missing;
    }

    /// <summary>The advice for a file that <see cref="LooksCrStripped"/>.</summary>
    public const string CrStrippedAdvice =
        "the file looks damaged by a text-mode copy (CR LF line endings turned into LF, which removes bytes from binary data): copy it in binary mode";

    /// <summary>The message for a safetensors file cut short inside (or right after) its header.</summary>
    public static string Truncated(ReadOnlySpan<byte> head, long fileLength, string source)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return $"{source}: truncated safetensors: header says {headerLength} bytes, file has {Math.Max(0, fileLength - 8)} "
            + "after its 8-byte length: the download or copy was cut short; fetch the file again.";
    }

    /// <summary>
    /// A text-mode copy on Windows (FTP ASCII mode, some editors and git's autocrlf) turns every LF byte into CR LF.
    /// Binary data nearly always holds a bare LF somewhere (pickles write every GLOBAL as two LF-terminated lines), so
    /// a file with CR LF pairs and no bare LF has almost certainly been through such a copy.
    /// </summary>
    public static bool LooksCrLfDamaged(ReadOnlySpan<byte> data)
    {
        int pairs = 0;
        int at = data.IndexOf((byte)'\n');
        while (at >= 0)
        {
            if (at == 0 || data[at - 1] != (byte)'\r')
            {
                return false;
            }

            pairs++;
            int next = data[(at + 1)..].IndexOf((byte)'\n');
            at = next < 0 ? -1 : at + 1 + next;
        }

        return pairs > 0;
    }

    /// <summary>The advice added to any refusal of a file that <see cref="LooksCrLfDamaged"/>.</summary>
    public const string CrLfAdvice =
        "the file was damaged by a text-mode copy (CR LF line endings: every LF byte became CR LF): copy it in binary mode";

    /// <summary>
    /// Whether <paramref name="head"/> starts like a safetensors file: a plausible 8-byte little-endian header length,
    /// then optional JSON whitespace and '{' (the reference reader accepts leading whitespace).
    /// </summary>
    public static bool SafeTensorsHeaderLength(ReadOnlySpan<byte> head, out ulong headerLength)
    {
        headerLength = 0;
        if (head.Length < 9)
        {
            return false;
        }

        headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLength < 2 || headerLength > (ulong)SafeTensors.MaxHeaderBytes)
        {
            return false;
        }

        var json = head[8..];
        int start = json.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && (ulong)start < headerLength && json[start] == (byte)'{';
    }

    /// <summary>Reads the first <see cref="HeadLength"/> bytes of a file (fewer when it is shorter).</summary>
    public static byte[] ReadHead(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        var head = new byte[HeadLength];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..read];
    }

    private static (FileKind, string) IdentifyText(ReadOnlySpan<byte> head)
    {
        var text = head;
        if (text.StartsWith("\xEF\xBB\xBF"u8))
        {
            text = text[3..]; // UTF-8 byte order mark
        }

        if (!IsText(text))
        {
            return (FileKind.Unknown, "");
        }

        if (text.StartsWith(Encoding.ASCII.GetBytes(LfsSignature)))
        {
            return (FileKind.GitLfsPointer, "a Git LFS pointer");
        }

        int start = text.IndexOfAnyExcept(" \t\r\n"u8);
        var body = start < 0 ? [] : text[start..];
        string lower = Encoding.ASCII.GetString(body[..Math.Min(body.Length, 16)]).ToLowerInvariant();
        if (lower.StartsWith("<!doctype", StringComparison.Ordinal) || lower.StartsWith("<html", StringComparison.Ordinal)
            || lower.StartsWith("<head", StringComparison.Ordinal) || lower.StartsWith("<body", StringComparison.Ordinal)
            || lower.StartsWith("<?xml", StringComparison.Ordinal) || lower.StartsWith("<!--", StringComparison.Ordinal))
        {
            return (FileKind.Html, "an HTML page");
        }

        if (body.Length > 0 && body[0] is (byte)'{' or (byte)'[')
        {
            return (FileKind.Json, "a JSON text file");
        }

        // Protocol 0 and 1 pickles are ASCII too; they start with one of these opcodes and are left to the reader.
        if (body.Length > 0 && body[0] is (byte)'(' or (byte)'c' or (byte)'}' or (byte)']' or (byte)')')
        {
            return (FileKind.Unknown, "");
        }

        return (FileKind.Text, "a text file");
    }

    /// <summary>Printable UTF-8 with ordinary whitespace; a character cut at the end of the head is allowed.</summary>
    private static bool IsText(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t' and not 0x0c || b == 0x7f)
            {
                return false;
            }
        }

        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        try
        {
            var chars = new char[bytes.Length];
            decoder.Convert(bytes, chars, flush: false, out _, out _, out _);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static string Snippet(ReadOnlySpan<byte> head)
    {
        string text = Encoding.UTF8.GetString(head[..Math.Min(head.Length, 40)]);
        return DisplayText.Escape(text.TrimEnd('\uFFFD'), 40);
    }

    /// <summary>Hex of the first bytes, for a file nothing recognises.</summary>
    public static string Hex(ReadOnlySpan<byte> head, int count = 8) =>
        string.Join(' ', head[..Math.Min(head.Length, count)].ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
