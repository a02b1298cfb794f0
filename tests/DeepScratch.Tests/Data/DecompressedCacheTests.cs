using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>
/// The decompressed copies of gzip IDX files: a copy gives exactly the source's content, is used only while it matches
/// the source, and any doubt (a changed source, a damaged or foreign copy, an unwritable folder) falls back to inflating.
/// The oracles are independent of the reader: the bytes the test generated, <see cref="IdxFiles.Gunzip"/> (.NET's
/// GZipStream directly) and the published SHA-256 of the MNIST test images.
/// </summary>
public sealed class DecompressedCacheTests : IDisposable
{
    /// <summary>Images of random pixels: they do not compress, so the gzip file passes the cache's 64 KiB threshold.</summary>
    private const int Count = 120, Side = 28;

    private readonly TempFolder _temp = new();
    private readonly DecompressedCache _cache;

    public DecompressedCacheTests() => _cache = new DecompressedCache(_temp.File("cache"));

    public void Dispose() => _temp.Dispose();

    private static byte[] Pixels(int seed) => IdxFiles.Noise(Count * Side * Side, seed);

    private static byte[] GzipImages(byte[] pixels, CompressionLevel level = CompressionLevel.Optimal) =>
        IdxFiles.Gzip(IdxFiles.Images(Count, Side, Side, pixels), level);

    private string WriteSource(byte[] pixels, CompressionLevel level = CompressionLevel.Optimal)
    {
        string path = _temp.Write("mnist/images-idx3-ubyte.gz", GzipImages(pixels, level));
        Assert.True(new FileInfo(path).Length >= DecompressedCache.MinimumCompressedLength);
        return path;
    }

    private byte[] Read(string path) => IdxReader.ReadImages(path, _cache).Pixels;

    /// <summary>Streams the whole file through <see cref="IdxReader.OpenImages(string, DecompressedCache?)"/>, as eval does.</summary>
    private byte[] Stream(string path)
    {
        using var stream = IdxReader.OpenImages(path, _cache);
        var pixels = new byte[stream.Count * stream.RecordSize];
        int done = 0;
        while (done < stream.Count)
        {
            done += stream.Read(pixels.AsSpan(done * stream.RecordSize, Math.Min(7, stream.Count - done) * stream.RecordSize));
        }

        return pixels;
    }

    [Fact]
    public void A_first_read_writes_the_copy_and_a_second_read_uses_it_with_identical_pixels()
    {
        var pixels = Pixels(1);
        string source = WriteSource(pixels);

        Assert.Equal(pixels, Read(source));
        Assert.Equal((0, 1), (_cache.Hits, _cache.CopiesWritten));
        string copy = _cache.PathFor(source);
        Assert.True(File.Exists(copy));
        // The copy ends with the decompressed file, byte for byte (checked with .NET's GZipStream, not the reader).
        var content = IdxFiles.Gunzip(File.ReadAllBytes(source));
        Assert.Equal(content, File.ReadAllBytes(copy)[^content.Length..]);

        Assert.Equal(pixels, Read(source));
        Assert.Equal(pixels, Stream(source));
        Assert.Equal((2, 1), (_cache.Hits, _cache.CopiesWritten));
        Assert.Empty(Directory.GetFiles(_cache.Folder, "*.tmp"));
    }

    [Fact]
    public void Streaming_in_batches_writes_the_copy_and_reads_it_back_identically()
    {
        var pixels = Pixels(2);
        string source = WriteSource(pixels);

        Assert.Equal(pixels, Stream(source));
        Assert.Equal(pixels, Stream(source));
        Assert.Equal((1, 1), (_cache.Hits, _cache.CopiesWritten));
    }

    [Fact]
    public void A_stream_served_from_the_copy_may_be_disposed_twice_like_any_stream()
    {
        string source = WriteSource(Pixels(4));
        Read(source);

        var stream = IdxReader.OpenImages(source, _cache);
        Assert.Equal(1, _cache.Hits);
        stream.Dispose();
        stream.Dispose();
        // The copy is still readable afterwards (its mapping was released once, not twice).
        Assert.Equal(Pixels(4), Read(source));
    }

    [Fact]
    public void Skipping_through_a_mapped_copy_lands_on_the_right_image()
    {
        var pixels = Pixels(3);
        string source = WriteSource(pixels);
        Read(source);

        using var stream = IdxReader.OpenImages(source, _cache);
        stream.Skip(100);
        var image = new byte[Side * Side];
        Assert.Equal(1, stream.Read(image));
        Assert.Equal(pixels.AsSpan(100 * Side * Side, Side * Side).ToArray(), image);
        Assert.Equal(1, _cache.Hits);
    }

    [Fact]
    public void A_reader_that_stops_early_leaves_no_copy_and_no_temporary_file()
    {
        string source = WriteSource(Pixels(4));

        using (var stream = IdxReader.OpenImages(source, _cache))
        {
            stream.Read(new byte[Side * Side]);
        }

        Assert.False(File.Exists(_cache.PathFor(source)));
        Assert.Empty(Directory.GetFiles(_cache.Folder));
        Assert.Equal(0, _cache.CopiesWritten);
    }

    [Fact]
    public void A_source_rewritten_with_other_bytes_of_the_same_length_and_time_is_not_served_from_the_copy()
    {
        // Stored (level 0) deflate blocks: two payloads of one length give gzip files of one length.
        var first = Pixels(5);
        var second = Pixels(6);
        string source = WriteSource(first, CompressionLevel.NoCompression);
        var time = File.GetLastWriteTimeUtc(source);
        Assert.Equal(first, Read(source));

        File.WriteAllBytes(source, GzipImages(second, CompressionLevel.NoCompression));
        File.SetLastWriteTimeUtc(source, time);
        Assert.Equal(GzipImages(first, CompressionLevel.NoCompression).Length, new FileInfo(source).Length);

        Assert.Equal(second, Read(source));
        Assert.Equal((0, 2), (_cache.Hits, _cache.CopiesWritten));
    }

    [Fact]
    public void Damaged_compressed_bytes_with_the_trailer_intact_are_reported_not_hidden_by_the_copy()
    {
        // The trailer still states the old content, length and time are kept: only the check of the whole source
        // notices, and the reader must then inflate the source and say it is broken.
        string source = WriteSource(Pixels(7), CompressionLevel.NoCompression);
        var time = File.GetLastWriteTimeUtc(source);
        Read(source);

        var bytes = File.ReadAllBytes(source);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(source, bytes);
        File.SetLastWriteTimeUtc(source, time);

        var e = Assert.Throws<InvalidDataException>(() => Read(source));
        Assert.Contains("broken gzip data", e.Message);
        Assert.Equal(0, _cache.Hits);
    }

    [Fact]
    public void A_touched_source_invalidates_the_copy_which_is_written_again()
    {
        var pixels = Pixels(8);
        string source = WriteSource(pixels);
        Read(source);

        File.SetLastWriteTimeUtc(source, File.GetLastWriteTimeUtc(source).AddSeconds(5));

        Assert.Equal(pixels, Read(source));
        Assert.Equal((0, 2), (_cache.Hits, _cache.CopiesWritten));
        Assert.Equal(pixels, Read(source));
        Assert.Equal(1, _cache.Hits);
    }

    [Fact]
    public void A_source_replaced_by_another_file_gives_the_new_content()
    {
        string source = WriteSource(Pixels(9));
        Read(source);

        var other = new byte[Count * Side * Side]; // blank images: another length once compressed
        string replacement = _temp.Write("other.gz", GzipImages(Pixels(10)));
        File.Move(replacement, source, overwrite: true);
        Assert.Equal(Pixels(10), Read(source));

        File.WriteAllBytes(source, GzipImages(other));
        Assert.True(new FileInfo(source).Length < DecompressedCache.MinimumCompressedLength);
        Assert.Equal(other, Read(source)); // too small to be cached: inflated, never the old copy
        Assert.Equal(0, _cache.Hits);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped payload byte")]
    [InlineData("other version")]
    [InlineData("other source path")]
    [InlineData("empty")]
    [InlineData("not a copy")]
    public void A_damaged_or_foreign_copy_is_detected_and_replaced(string damage)
    {
        var pixels = Pixels(11);
        string source = WriteSource(pixels);
        Read(source);
        string copy = _cache.PathFor(source);
        var good = File.ReadAllBytes(copy);

        var bad = (byte[])good.Clone();
        switch (damage)
        {
            case "truncated":
                bad = good[..^100];
                break;
            case "flipped payload byte":
                bad[^500] ^= 0x01;
                break;
            case "other version":
                BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(8), DecompressedCache.FormatVersion + 1);
                break;
            case "other source path":
                bad[^(pixels.Length + 16 + 2)] ^= 0x20; // a letter of the recorded path, just before the IDX header
                break;
            case "empty":
                bad = [];
                break;
            default:
                bad = IdxFiles.Gunzip(File.ReadAllBytes(source)); // a bare IDX file, no cache header
                break;
        }

        File.WriteAllBytes(copy, bad);

        Assert.Equal(pixels, Read(source));
        Assert.Equal((0, 2), (_cache.Hits, _cache.CopiesWritten));
        Assert.Equal(good, File.ReadAllBytes(copy));
        Assert.Equal(pixels, Read(source));
        Assert.Equal(1, _cache.Hits);
    }

    [Fact]
    public void An_unwritable_cache_folder_still_reads_the_source()
    {
        // A file where the folder should be: nothing can be created there (permissions do not stop root).
        File.WriteAllText(_temp.File("blocked"), "not a folder");
        var cache = new DecompressedCache(_temp.File("blocked", "cache"));
        var pixels = Pixels(12);
        string source = WriteSource(pixels);

        Assert.Equal(pixels, IdxReader.ReadImages(source, cache).Pixels);
        Assert.Equal(pixels, IdxReader.ReadImages(source, cache).Pixels);
        Assert.Equal((0, 0), (cache.Hits, cache.CopiesWritten));
    }

    [Fact]
    public void A_multi_member_gzip_is_read_whole_and_not_cached()
    {
        // The trailer of the last member covers that member only, so no copy can be checked against it.
        var pixels = Pixels(13);
        var file = IdxFiles.Images(Count, Side, Side, pixels);
        int half = file.Length / 2;
        string source = _temp.Write("multi.gz", [.. IdxFiles.Gzip(file[..half]), .. IdxFiles.Gzip(file[half..])]);

        Assert.Equal(pixels, Read(source));
        Assert.Equal(pixels, Read(source));
        Assert.Equal((0, 0), (_cache.Hits, _cache.CopiesWritten));
        Assert.Empty(Directory.Exists(_cache.Folder) ? Directory.GetFiles(_cache.Folder) : []);
    }

    [Fact]
    public void Copies_of_sources_that_no_longer_exist_are_removed_when_a_copy_is_written()
    {
        string gone = _temp.Write("gone/images.gz", GzipImages(Pixels(14)));
        Read(gone);
        string goneCopy = _cache.PathFor(gone);
        Assert.True(File.Exists(goneCopy));
        File.Delete(gone);
        File.WriteAllText(Path.Combine(_cache.Folder, "stray.idx"), "not a copy");

        Read(WriteSource(Pixels(15)));

        Assert.False(File.Exists(goneCopy));
        Assert.False(File.Exists(Path.Combine(_cache.Folder, "stray.idx")));
    }

    [Fact]
    public void Concurrent_first_readers_all_get_the_right_pixels_and_leave_one_good_copy()
    {
        var pixels = Pixels(16);
        string source = WriteSource(pixels);

        var results = new byte[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            results[i] = i % 2 == 0 ? Read(source) : Stream(source));

        Assert.All(results, r => Assert.Equal(pixels, r));
        Assert.Empty(Directory.GetFiles(_cache.Folder, "*.tmp"));
        Assert.Single(Directory.GetFiles(_cache.Folder));
        int hits = _cache.Hits;
        Assert.Equal(pixels, Read(source));
        Assert.Equal(hits + 1, _cache.Hits);
    }

    [Fact]
    public void The_real_MNIST_test_set_reads_identically_through_a_cold_and_a_warm_cache()
    {
        string images = TestData.Mnist("t10k-images-idx3-ubyte.gz");
        string labels = TestData.Mnist("t10k-labels-idx1-ubyte.gz");
        var plain = Mnist.Read(images, labels);

        var cold = ReadSet(images, labels);
        var warm = ReadSet(images, labels);

        Assert.Equal(1, _cache.Hits); // the images; the labels file is under the threshold
        Assert.Equal(plain.Images.Pixels, cold.Pixels);
        Assert.Equal(plain.Images.Pixels, warm.Pixels);
        Assert.Equal(plain.Labels, warm.Labels);
        // The copy's content is the published decompressed file (Catalog's SHA-256, measured on the official data).
        var copy = File.ReadAllBytes(_cache.PathFor(images));
        string published = Catalog.Images(DatasetKind.Mnist, DatasetSplit.Test).Digests.Single(d => d.OfDecompressed).Hex;
        Assert.Equal(published, Convert.ToHexStringLower(SHA256.HashData(copy.AsSpan(copy.Length - 7_840_016))));
    }

    private (byte[] Pixels, byte[] Labels) ReadSet(string images, string labels)
    {
        using var reader = MnistReader.Open(images, labels, _cache);
        var pixels = new byte[reader.Count * reader.ImageSize];
        var labelBytes = new byte[reader.Count];
        int done = 0;
        while (done < reader.Count)
        {
            done += reader.Read(pixels.AsSpan(done * reader.ImageSize, 100 * reader.ImageSize), labelBytes.AsSpan(done, 100));
        }

        return (pixels, labelBytes);
    }
}
