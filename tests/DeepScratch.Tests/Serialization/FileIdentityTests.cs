using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Serialization;

/// <summary>
/// Issue 7 item 4: files that are something else entirely (a Git LFS pointer, an HTML error page, an image, a cut-short
/// download) are named for what they are by every reader, instead of "unknown opcode" or "magic number 1008813135".
/// </summary>
public sealed class FileIdentityTests : IDisposable
{
    private const string LfsPointer =
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146a1c2e5b0a4f3f7b0c1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0\nsize 1345216\n";

    private const string ErrorPage =
        "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n";

    /// <summary>The first bytes of a real PNG (signature and IHDR chunk of a 28x28 greyscale image).</summary>
    private static readonly byte[] Png =
    [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0, 0, 0, 28, 0, 0, 0, 28, 8, 0, 0, 0, 0, 0x57, 0x66, 0x80, 0x48,
    ];

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_git_lfs_pointer_saved_as_the_model_is_named_as_such()
    {
        string path = _folder.Write("model.safetensors", Encoding.ASCII.GetBytes(LfsPointer));

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: the file is a Git LFS pointer, not a numpy pickle or safetensors weights file: fetch the real file (git lfs pull).", e.Message);
        Assert.Contains("Git LFS pointer", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path)).Message);
    }

    [Theory]
    [InlineData(9)] // the length prefix and the '{'
    [InlineData(40)] // inside the first tensor's description
    public void A_safetensors_download_cut_inside_its_header_is_reported_as_truncated(int keep)
    {
        byte[] whole = SafeTensorsBytes(("W1", [1f, 2f, 3f]));
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(whole);
        string path = _folder.Write("model.safetensors", whole[..keep]);

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Equal(
            $"{path}: truncated safetensors: header says {headerLength} bytes, file has {keep - 8} after its 8-byte length: "
            + "the download or copy was cut short; fetch the file again.",
            e.Message);
    }

    [Fact]
    public void A_png_passed_as_weights_is_named_as_an_image()
    {
        string path = _folder.Write("digit.png", Png);

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: the file is a PNG image, not a numpy pickle or safetensors weights file.", e.Message);
    }

    [Fact]
    public void Bytes_ff_named_safetensors_are_not_called_a_pickle()
    {
        byte[] bytes = Enumerable.Repeat((byte)0xff, 64).ToArray();
        string path = _folder.Write("model.safetensors", bytes);

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Equal(
            $"{path}: the file is named .safetensors but is not a safetensors file: its first 8 bytes give a header length of "
            + "18446744073709551615, and 56 bytes follow (it starts with bytes ff ff ff ff ff ff ff ff): the file is damaged "
            + "or is something else; fetch it again.",
            e.Message);
        Assert.DoesNotContain("opcode", e.Message);
    }

    [Fact]
    public void Bytes_that_no_pickle_starts_with_are_named_as_neither_format()
    {
        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load([0xfe, 0x01, 0x02], "w.bin"));

        Assert.Equal("w.bin: the file is neither a pickle nor a safetensors file (it starts with bytes fe 01 02): the file is damaged or is something else.", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0 }, "a zip archive (a PyTorch checkpoint, a numpy .npz or a Keras file?)")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46 }, "a JPEG image")]
    [InlineData(new byte[] { 0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0 }, "a single numpy array (.npy, from np.save)")]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 }, "a gzip-compressed file")]
    [InlineData(new byte[] { 0, 0, 8, 3, 0, 0, 0, 1 }, "an IDX (MNIST) file")]
    public void Other_binary_formats_are_named_by_the_pickle_reader(byte[] bytes, string what)
    {
        var e = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load(bytes, "w.pkl"));

        Assert.StartsWith($"w.pkl: the file is {what}, not a numpy pickle or safetensors weights file", e.Message);
    }

    [Fact]
    public void Json_and_other_text_are_named_with_what_they_read()
    {
        var json = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load("{\"W1\": [[0.1, 0.2]]}"u8.ToArray(), "w.json"));
        var text = Assert.Throws<InvalidDataException>(() => NumpyPickle.Load("Access denied\n"u8.ToArray(), "w.pkl"));

        Assert.Equal("w.json: the file is a JSON text file, not a numpy pickle or safetensors weights file (it reads \"{\"W1\": [[0.1, 0.2]]}\" at byte 0).", json.Message);
        Assert.Equal(@"w.pkl: the file is a text file, not a numpy pickle or safetensors weights file (it reads ""Access denied\n"" at byte 0).", text.Message);
    }

    [Fact]
    public void An_empty_model_file_is_reported_as_empty()
    {
        string path = _folder.Write("model.safetensors", []);

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Contains("the file is empty", e.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void An_html_error_page_saved_as_mnist_data_is_named_as_such(bool gzipName, bool gzipContent)
    {
        byte[] page = Encoding.ASCII.GetBytes(ErrorPage);
        string path = _folder.Write(gzipName ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte", gzipContent ? Gzip(page) : page);

        var images = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        var labels = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        string expected = $"{path}: the file is an HTML page (a download error page?), not IDX (MNIST) data: download the file again.";
        Assert.Equal(expected, images.Message);
        Assert.Equal(expected, labels.Message);
        Assert.DoesNotContain("magic number", images.Message);
    }

    [Fact]
    public void A_git_lfs_pointer_in_place_of_mnist_labels_is_named_as_such()
    {
        string path = _folder.Write("t10k-labels-idx1-ubyte", Encoding.ASCII.GetBytes(LfsPointer));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: the file is a Git LFS pointer, not IDX (MNIST) data: fetch the real file (git lfs pull).", e.Message);
    }

    [Fact]
    public void A_pickle_given_as_mnist_data_is_named_as_a_pickle()
    {
        string path = _folder.Write("t10k-images-idx3-ubyte", new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Stop().ToArray());

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: the file is a Python pickle, not IDX (MNIST) data.", e.Message);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("\n\t \r\n")]
    public void Json_whitespace_before_the_header_object_is_accepted(string lead)
    {
        // The reference reader parses the header with serde_json, which skips leading whitespace.
        byte[] json = Encoding.UTF8.GetBytes(lead + """{"W1":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""");
        byte[] file = [.. Le(json.Length), .. json, .. PickleBuilder.Float32Bytes(1.5f, -2f)];
        string path = _folder.Write("lead.safetensors", file);

        var loaded = SafeTensors.Load(path);

        Assert.True(SafeTensors.LooksLikeSafeTensors(path));
        Assert.Equal([1.5f, -2f], loaded.Tensors["W1"].ToArray());
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("\n")]
    [InlineData(" \t\r\n  ")]
    public void Trailing_whitespace_padding_is_accepted_and_anything_else_after_the_object_refused(string padding)
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""" + padding);
        byte[] padded = [.. Le(json.Length), .. json, .. PickleBuilder.Float32Bytes(7f)];
        byte[] bad = [.. Le(json.Length + 1), .. json, (byte)'0', .. PickleBuilder.Float32Bytes(7f)];

        Assert.Equal([7f], SafeTensors.Load(padded, "padded.safetensors").Tensors["b"].ToArray());
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(bad, "bad.safetensors"));
        Assert.Contains("bad.safetensors: the header", e.Message);
    }

    [Fact]
    public void The_identification_keeps_real_files_for_their_readers()
    {
        byte[] pickle = File.ReadAllBytes(TestData.Weights("sample_weight.pkl"));
        byte[] images = File.ReadAllBytes(TestData.Mnist("t10k-images-idx3-ubyte.gz"));

        Assert.Equal(FileKind.Pickle, FileIdentity.Identify(pickle.AsSpan(0, 512), pickle.Length).Kind);
        Assert.Equal(FileKind.Gzip, FileIdentity.Identify(images.AsSpan(0, 512), images.Length).Kind);
        // A safetensors header of 640 bytes starts with 80 02, like a protocol 2 pickle; the length decides.
        byte[] json = Encoding.UTF8.GetBytes("{}".PadRight(640));
        byte[] safetensors = [.. Le(640), .. json];
        Assert.Equal(FileKind.SafeTensors, FileIdentity.Identify(safetensors, safetensors.Length).Kind);
        Assert.Empty(SafeTensors.Load(safetensors, "wide.safetensors").Tensors);
        // Protocol 0 pickles are ASCII text and must reach the pickle reader.
        Assert.Equal(FileKind.Unknown, FileIdentity.Identify("(dp0\nS'W1'\np1\n"u8, 15).Kind);
    }

    [Fact]
    public void A_folder_given_as_the_file_is_called_a_folder_not_missing()
    {
        string folder = Path.Combine(_folder.Path, "weights");
        Directory.CreateDirectory(folder);

        var pickle = Assert.Throws<FileNotFoundException>(() => NumpyPickle.Load(folder));
        var safetensors = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(folder));

        Assert.Equal($"{folder} is a folder, not a pickle file: give the path of the file.", pickle.Message);
        Assert.Equal($"{folder} is a folder, not a safetensors file: give the path of the file.", safetensors.Message);
    }

    private static byte[] SafeTensorsBytes(params (string Name, float[] Values)[] tensors)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ds-identity-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, tensors.Select(t => KeyValuePair.Create(t.Name, Tensor.FromValues(t.Values))));
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    private static byte[] Le(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }
}
