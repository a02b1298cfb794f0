using System.Buffers.Binary;
using System.Text;
using DeepScratch.Data;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// QA follow-up of issue 7 item 4 (finding 11): files compressed by other tools than gzip, archives, and text-mode
/// damage (CR LF inserted into a gzip, CR LF turned into LF in a safetensors) are named for what they are by every
/// reader, instead of "magic number 1113221177" or "BINBYTES declares ... bytes".
/// </summary>
public sealed class CompressedAndDamagedFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>The leading bytes each tool writes (bzip2 -9, xz, zstd, 7z, rar 5), then data.</summary>
    public static TheoryData<byte[], string> Signatures() => new()
    {
        { [.. "BZh91AY&SY"u8, 0x12, 0x34, 0x56, 0x78], "bzip2-compressed, not {0}: decompress it (bunzip2) first." },
        { [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46], "xz-compressed, not {0}: decompress it (unxz) first." },
        { [0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x04, 0x21, 0x00, 0x00, 0x01, 0x02, 0x03], "zstd-compressed, not {0}: decompress it (unzstd) first." },
        { [(byte)'7', (byte)'z', 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04], "a 7-Zip archive, not {0}: extract it (7z x) and use the file inside." },
        { [.. "Rar!"u8, 0x1a, 0x07, 0x01, 0x00, 0x33, 0x92, 0xb5, 0xe5], "a RAR archive, not {0}: extract it (unrar x) and use the file inside." },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public void A_compressed_or_archived_weights_file_is_named_by_the_pickle_and_safetensors_readers(byte[] bytes, string expected)
    {
        var pickle = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(bytes, "w.pkl"));
        var safetensors = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(bytes, "w.safetensors"));

        Assert.Equal("w.pkl: the file is " + string.Format(expected, "a numpy pickle or safetensors weights file"), pickle.Message);
        Assert.Equal("w.safetensors: the file is " + string.Format(expected, "a safetensors file"), safetensors.Message);
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public void A_compressed_or_archived_file_in_place_of_mnist_data_is_named(byte[] bytes, string expected)
    {
        string path = _folder.Write("mnist/t10k-images-idx3-ubyte.gz", bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: the file is " + string.Format(expected, "IDX (MNIST) data"), e.Message);
    }

    [Fact]
    public void A_zip_among_the_mnist_files_says_extract_it_not_checkpoint()
    {
        // The local file header of a zip holding t10k-images-idx3-ubyte (as Kaggle's mnist.zip does).
        byte[] zip = [.. "PK"u8, 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, .. new byte[16], .. "t10k-images"u8];
        string path = _folder.Write("mnist/t10k-images-idx3-ubyte.gz", zip);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        var weights = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(zip, "w.pkl"));

        Assert.Equal($"{path}: the file is a zip archive, not IDX (MNIST) data: extract it (unzip) and use the files inside.", e.Message);
        Assert.DoesNotContain("checkpoint", e.Message);
        // For a weights file a zip is still most likely a checkpoint or .npz, and says so.
        Assert.Contains("PyTorch checkpoint", weights.Message);
    }

    [Fact]
    public void A_gzip_whose_lf_bytes_became_cr_lf_is_diagnosed_as_a_text_mode_copy()
    {
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Images(40, 28, 28, IdxFiles.Noise(40 * 28 * 28, seed: 7)));
        Assert.True(gzip.Count(b => b == '\n') >= 10); // incompressible data holds an LF byte every 256 or so
        string path = _folder.Write("mnist/t10k-images-idx3-ubyte.gz", CrLf(gzip));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: broken gzip data (", e.Message);
        Assert.EndsWith("the file was damaged by a text-mode copy (CR LF line endings: every LF byte became CR LF): "
            + "copy it in binary mode, or delete it and download it again.", e.Message);
    }

    [Fact]
    public void A_safetensors_whose_cr_lf_pairs_became_lf_is_diagnosed_as_a_text_mode_copy_not_truncation()
    {
        // Values whose float32 bytes hold CR LF pairs (0x0d 0x0a), as random weights do every 64 KiB or so.
        float crlf = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian([0x0d, 0x0a, 0x20, 0x3f]));
        float[] values = [.. Enumerable.Repeat(0.5f, 100), crlf, 0.25f, crlf, crlf, .. Enumerable.Repeat(-1.5f, 50)];
        string good = _folder.File("good.safetensors");
        SafeTensors.Save(good, [KeyValuePair.Create("W1", new Tensor(values, values.Length))]);
        byte[] bytes = File.ReadAllBytes(good);
        byte[] damaged = Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(bytes.Length - 3, damaged.Length);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(damaged, "m.safetensors"));

        Assert.StartsWith("m.safetensors: ", e.Message);
        Assert.EndsWith("the file looks damaged by a text-mode copy (CR LF line endings turned into LF, which removes bytes "
            + "from binary data): copy it in binary mode.", e.Message);
        // A download cut by 3 bytes whose data holds no LF is still called truncated, not a text-mode copy.
        var cut = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(bytes[..^3].Select(b => b == '\n' ? (byte)0 : b).ToArray(), "c.safetensors"));
        Assert.DoesNotContain("text-mode", cut.Message);
        Assert.Contains("truncated", cut.Message);
    }

    private static byte[] CrLf(byte[] data) =>
        data.SelectMany(b => b == '\n' ? new byte[] { (byte)'\r', (byte)'\n' } : [b]).ToArray();
}
