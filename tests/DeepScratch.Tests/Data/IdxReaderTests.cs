using System.Diagnostics;
using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private const long AllocationLimit = 10 << 20;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadImages_returns_the_count_dimensions_and_pixels_of_a_raw_file()
    {
        string path = _temp.Write("images.idx", IdxFiles.SampleImagesFile());

        var images = IdxReader.ReadImages(path);

        Assert.Equal(3, images.Count);
        Assert.Equal(2, images.Rows);
        Assert.Equal(4, images.Columns);
        Assert.Equal(8, images.ImageSize);
        Assert.Equal(IdxFiles.SamplePixels, images.Pixels);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 }, images.Image(0).ToArray());
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15, 16, 17 }, images.Image(1).ToArray());
        Assert.Equal(new byte[] { 128, 21, 22, 23, 24, 25, 26, 255 }, images.Image(2).ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(int.MaxValue)]
    public void Image_index_outside_the_set_throws_ArgumentOutOfRange(int index)
    {
        var images = IdxReader.ReadImages(_temp.Write("images.idx", IdxFiles.SampleImagesFile()));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => images.Image(index).ToArray());
        Assert.Contains("3 images", e.Message);
    }

    [Fact]
    public void ReadLabels_returns_one_byte_per_label_of_a_raw_file()
    {
        string path = _temp.Write("labels.idx", IdxFiles.SampleLabelsFile());

        Assert.Equal(IdxFiles.SampleLabels, IdxReader.ReadLabels(path));
    }

    [Fact]
    public void Gzip_is_detected_from_the_bytes_not_the_file_name()
    {
        // A gzip file without ".gz" and a raw file named ".gz" read exactly like the plain raw files.
        string gzipImages = _temp.Write("images.idx", IdxFiles.Gzip(IdxFiles.SampleImagesFile()));
        string rawImages = _temp.Write("x.gz", IdxFiles.SampleImagesFile());
        string gzipLabels = _temp.Write("labels.idx", IdxFiles.Gzip(IdxFiles.SampleLabelsFile()));
        string rawLabels = _temp.Write("y.gz", IdxFiles.SampleLabelsFile());

        foreach (string path in new[] { gzipImages, rawImages })
        {
            var images = IdxReader.ReadImages(path);
            Assert.Equal((3, 2, 4), (images.Count, images.Rows, images.Columns));
            Assert.Equal(IdxFiles.SamplePixels, images.Pixels);
        }

        Assert.Equal(IdxFiles.SampleLabels, IdxReader.ReadLabels(gzipLabels));
        Assert.Equal(IdxFiles.SampleLabels, IdxReader.ReadLabels(rawLabels));
    }

    [Fact]
    public void Gzip_content_larger_than_the_growth_step_is_read_completely()
    {
        // 3 images of 700x800 = 1.68 MB, more than the reader's first 1 MiB buffer for compressed data.
        var pixels = IdxFiles.Noise(3 * 700 * 800, seed: 1);
        string path = _temp.Write("big.gz", IdxFiles.Gzip(IdxFiles.Images(3, 700, 800, pixels)));

        var images = IdxReader.ReadImages(path);

        Assert.Equal((3, 700, 800), (images.Count, images.Rows, images.Columns));
        Assert.Equal(pixels, images.Pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_label_file_read_as_images_is_rejected_by_its_magic(bool gzip)
    {
        // At least as long as an image header (16 bytes), as every real label file is.
        var bytes = IdxFiles.Labels(20, IdxFiles.Noise(20, seed: 10));
        string path = _temp.Write("labels", gzip ? IdxFiles.Gzip(bytes) : bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("magic", e.Message);
        Assert.Contains("label file", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_image_file_read_as_labels_is_rejected_by_its_magic(bool gzip)
    {
        var bytes = IdxFiles.SampleImagesFile();
        string path = _temp.Write("images", gzip ? IdxFiles.Gzip(bytes) : bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("magic", e.Message);
        Assert.Contains("image file", e.Message);
    }

    [Fact]
    public void An_unknown_magic_is_rejected_without_naming_the_other_kind()
    {
        var bytes = IdxFiles.SampleImagesFile();
        bytes[3] = 0x0d; // 0x0000080d: float data, 3 dimensions
        string path = _temp.Write("floats.idx", bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("magic", e.Message);
        Assert.DoesNotContain("label file", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    public void An_image_file_shorter_than_its_header_is_rejected(int length)
    {
        string path = _temp.Write("short", IdxFiles.SampleImagesFile()[..length]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("too short", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void A_label_file_shorter_than_its_header_is_rejected(int length)
    {
        string path = _temp.Write("short", IdxFiles.SampleLabelsFile()[..length]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("too short", e.Message);
    }

    [Fact]
    public void A_gzip_image_file_holding_far_less_than_its_header_claims_is_refused_having_allocated_little()
    {
        // The header claims 10,000 images of 28x28 (7,840,000 bytes); the stream holds 100 (78,400 bytes of random,
        // incompressible pixels, so the claim is within what the compressed size could hold) and its trailer says so.
        // The buffer grows from 64 KiB as data arrives: found by the fuzz harness, it started at 1 MiB and a short read
        // was then copied to its length before being refused.
        var pixels = new byte[100 * 784];
        new Random(5).NextBytes(pixels);
        string path = _temp.Write("short.idx.gz", IdxFiles.Gzip(IdxFiles.Images(10_000, 28, 28, pixels)));
        IdxReader.ReadLabels(_temp.Write("warm.idx", IdxFiles.SampleLabelsFile())); // first-call costs are not the file's

        InvalidDataException? e = null;
        long allocated = Allocations.OnThisThread(() => e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path)));

        Assert.Equal($"{path}: truncated: header claims 10000 images of 28x28 (7840000 bytes) but only 78400 follow. Delete the file and download it again.", e!.Message);
        Assert.True(allocated < 768 << 10, $"{allocated} bytes allocated");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_truncated_image_payload_is_reported_as_truncated(bool gzip)
    {
        var bytes = IdxFiles.SampleImagesFile()[..^1];
        string path = _temp.Write("images", gzip ? IdxFiles.Gzip(bytes) : bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_truncated_label_payload_is_reported_as_truncated(bool gzip)
    {
        var bytes = IdxFiles.Labels(4, IdxFiles.SampleLabels);
        string path = _temp.Write("labels", gzip ? IdxFiles.Gzip(bytes) : bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bytes_after_the_declared_payload_are_rejected(bool gzip)
    {
        var images = IdxFiles.Images(3, 2, 4, [.. IdxFiles.SamplePixels, 99]);
        var labels = IdxFiles.Labels(3, [.. IdxFiles.SampleLabels, 1]);
        string imagesPath = _temp.Write("images", gzip ? IdxFiles.Gzip(images) : images);
        string labelsPath = _temp.Write("labels", gzip ? IdxFiles.Gzip(labels) : labels);

        var e1 = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(imagesPath));
        var e2 = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(labelsPath));

        Assert.Contains("more bytes", e1.Message);
        Assert.Contains("more bytes", e2.Message);
    }

    [Theory]
    [InlineData(int.MaxValue, 28, 28)] // more than any array can hold
    [InlineData(1_000_000, 28, 28)] // 784 MB: possible in principle, not in a 100-byte file
    public void A_lying_header_in_a_small_raw_file_fails_fast_without_allocating_its_claim(int count, int rows, int cols)
    {
        string path = _temp.Write("liar", IdxFiles.Images(count, rows, cols, IdxFiles.Noise(84, seed: 2)));
        Assert.Equal(100, new FileInfo(path).Length);

        var (e, allocated, elapsed) = Measure(() => IdxReader.ReadImages(path));

        Assert.IsType<InvalidDataException>(e);
        Assert.True(allocated < AllocationLimit, $"allocated {allocated:N0} bytes reading a 100-byte file");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
    }

    [Theory]
    [InlineData(int.MaxValue, 28, 28)]
    [InlineData(1_000_000, 28, 28)]
    public void A_lying_header_in_a_small_gzip_file_fails_fast_without_allocating_its_claim(int count, int rows, int cols)
    {
        string path = _temp.Write("liar.gz", IdxFiles.Gzip(IdxFiles.Images(count, rows, cols, IdxFiles.Noise(84, seed: 3))));

        var (e, allocated, elapsed) = Measure(() => IdxReader.ReadImages(path));

        Assert.IsType<InvalidDataException>(e);
        Assert.True(allocated < AllocationLimit, $"allocated {allocated:N0} bytes reading a {new FileInfo(path).Length}-byte file");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
    }

    [Fact]
    public void A_gzip_file_whose_claim_is_plausible_for_its_size_grows_its_buffer_only_as_data_arrives()
    {
        // 8,000 incompressible bytes give a ~8 KB gzip file, which could in principle expand to ~8 MB, so the size
        // bound does not reject a claim of 10,000 28x28 images (7.84 MB); the reader must still not allocate it all.
        string path = _temp.Write("liar.gz", IdxFiles.Gzip(IdxFiles.Images(10_000, 28, 28, IdxFiles.Noise(8_000, seed: 4))));
        Assert.True(new FileInfo(path).Length * 1032 > 10_000L * 28 * 28, "the file must be large enough to pass the size bound");

        var (e, allocated, _) = Measure(() => IdxReader.ReadImages(path));

        var invalid = Assert.IsType<InvalidDataException>(e);
        Assert.Contains("truncated", invalid.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes for 8,000 bytes of real data");
    }

    [Fact]
    public void A_lying_label_count_in_a_small_file_fails_fast_without_allocating_its_claim()
    {
        string raw = _temp.Write("labels", IdxFiles.Labels(int.MaxValue, IdxFiles.SampleLabels));
        string gzip = _temp.Write("labels.gz", IdxFiles.Gzip(IdxFiles.Labels(int.MaxValue, IdxFiles.SampleLabels)));

        foreach (string path in new[] { raw, gzip })
        {
            var (e, allocated, _) = Measure(() => IdxReader.ReadLabels(path));
            Assert.IsType<InvalidDataException>(e);
            Assert.True(allocated < AllocationLimit, $"{path}: allocated {allocated:N0} bytes");
        }
    }

    [Theory]
    [InlineData(-1, 2, 4)]
    [InlineData(3, 0, 4)]
    [InlineData(3, 2, 0)]
    [InlineData(3, -2, 4)]
    [InlineData(3, 2, -4)]
    [InlineData(int.MinValue, 28, 28)]
    public void Negative_counts_and_non_positive_image_dimensions_are_rejected(int count, int rows, int cols)
    {
        string path = _temp.Write("images", IdxFiles.Images(count, rows, cols, IdxFiles.SamplePixels));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("dimensions", e.Message);
    }

    [Fact]
    public void A_negative_label_count_is_rejected()
    {
        string path = _temp.Write("labels", IdxFiles.Labels(-3, IdxFiles.SampleLabels));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void Zero_images_of_a_valid_size_read_as_an_empty_set()
    {
        string path = _temp.Write("images", IdxFiles.Images(0, 28, 28, []));

        var images = IdxReader.ReadImages(path);

        Assert.Equal((0, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Empty(images.Pixels);
    }

    public static TheoryData<string, byte[]> CorruptGzipFiles => new()
    {
        // Gzip magic, then an unknown compression method.
        { "bad method", [0x1f, 0x8b, .. IdxFiles.Noise(200, seed: 5)] },

        // A valid 10-byte gzip header, then a deflate block of the reserved (invalid) type 3.
        { "bad deflate block", [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] },

        // A valid gzip file with its last 8 bytes (CRC and length) corrupted.
        { "bad crc", [.. IdxFiles.Gzip(IdxFiles.SampleImagesFile())[..^8], 1, 2, 3, 4, 5, 6, 7, 8] },

        // The first half of a valid gzip file.
        { "cut in half", TruncatedGzip() },
    };

    [Theory]
    [MemberData(nameof(CorruptGzipFiles))]
    public void A_corrupt_gzip_stream_is_reported_as_InvalidDataException(string what, byte[] bytes)
    {
        string path = _temp.Write("corrupt.gz", bytes);

        var e = Record.Exception(() => IdxReader.ReadImages(path));

        Assert.True(e is InvalidDataException, $"{what}: expected InvalidDataException, got {e?.GetType().Name ?? "no exception"}: {e?.Message}");
        Assert.Contains(path, e!.Message);
    }

    [Fact]
    public void A_missing_file_throws_FileNotFound_naming_it()
    {
        string path = _temp.File("nope", "t10k-images-idx3-ubyte.gz");

        var e1 = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(path));
        var e2 = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadLabels(path));

        Assert.Equal(path, e1.FileName);
        Assert.Contains(path, e2.Message);
    }

    private static byte[] TruncatedGzip()
    {
        var gzip = IdxFiles.Gzip(IdxFiles.Images(3, 20, 20, IdxFiles.Noise(1200, seed: 6)));
        return gzip[..(gzip.Length / 2)];
    }

    /// <summary>Runs <paramref name="action"/> and returns what it threw, the bytes this thread allocated and the time.</summary>
    private static (Exception? Error, long Allocated, TimeSpan Elapsed) Measure(Action action)
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Record.Exception(action);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (e, allocated, clock.Elapsed);
    }
}
