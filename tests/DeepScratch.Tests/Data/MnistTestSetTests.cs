using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>The real MNIST test set from the reference data folder (located by <see cref="TestData"/>: DEEPSCRATCH_DATA, else ../shared/data).</summary>
public sealed class MnistTestSetTests
{
    // The sum of the 784 pixel bytes of test image 0 (a 7), computed once with numpy:
    //   x = np.frombuffer(gzip.open("t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16).reshape(-1, 28, 28)
    //   int(x[0].astype(np.int64).sum())  ->  18454   (max 255, 116 non-zero pixels)
    private const long FirstImagePixelSum = 18454;

    private static readonly Lazy<MnistSet> TestSet = new(() =>
    {
        _ = TestData.Mnist("t10k-images-idx3-ubyte.gz");
        _ = TestData.Mnist("t10k-labels-idx1-ubyte.gz");
        return Mnist.LoadSet(DatasetSplit.Test, new DataStore(TestData.Dir, downloader: null));
    });

    [Fact]
    public void The_test_set_has_10000_images_of_28_by_28()
    {
        var set = TestSet.Value;

        Assert.Equal(10_000, set.Count);
        Assert.Equal((10_000, 28, 28), (set.Images.Count, set.Images.Rows, set.Images.Columns));
        Assert.Equal(10_000 * 784, set.Images.Pixels.Length);
    }

    [Fact]
    public void The_first_labels_are_7_2_1_0_4()
    {
        Assert.Equal(new byte[] { 7, 2, 1, 0, 4 }, TestSet.Value.Labels[..5]);
    }

    [Fact]
    public void The_label_histogram_matches_the_published_test_set()
    {
        var histogram = new int[10];
        foreach (byte label in TestSet.Value.Labels)
        {
            histogram[label]++;
        }

        Assert.Equal(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, histogram);
    }

    [Fact]
    public void The_pixels_of_the_first_image_sum_to_the_value_numpy_gives()
    {
        long sum = 0;
        foreach (byte p in TestSet.Value.Images.Image(0))
        {
            sum += p;
        }

        Assert.Equal(FirstImagePixelSum, sum);
    }

    [Fact]
    public void The_tensors_have_the_books_shapes_and_ranges()
    {
        var set = TestSet.Value;

        var x = set.ImageTensor();
        var t = set.LabelTensor(oneHot: true);

        Assert.Equal(new[] { 10_000, 784 }, x.Shape.ToArray());
        Assert.Equal(FirstImagePixelSum / 255.0, x.Row(0).ToArray().Sum(v => (double)v), precision: 3);
        Assert.Equal(1f, x.ToArray().Max());
        Assert.Equal(0f, x.ToArray().Min());
        Assert.Equal(new[] { 10_000, 10 }, t.Shape.ToArray());
        Assert.Equal(10_000f, t.ToArray().Sum());
        Assert.Equal(1f, t[0, 7]);
    }

    [Fact]
    public void The_images_file_passes_the_catalog_checksums_by_its_content_however_it_was_compressed()
    {
        // A mirror may re-compress the same data (the shared copy was): its .gz md5 then differs from the official
        // one, which an official download matches. What holds for both is the decompressed content's sha256.
        string path = TestData.Mnist("t10k-images-idx3-ubyte.gz");
        var digests = Catalog.Images(DatasetKind.Mnist, DatasetSplit.Test).Digests;

        Assert.Null(FileDownloader.Verify(path, digests));
        Assert.Null(FileDownloader.Verify(path, digests.Where(d => d.OfDecompressed).ToArray()));
    }

    [Fact]
    public void A_copy_of_the_images_file_with_one_pixel_changed_fails_every_catalog_checksum()
    {
        // The same content re-compressed passes; one changed byte fails both the .gz md5 and the content sha256.
        using var folder = new TempFolder();
        byte[] content;
        using (var gzip = new System.IO.Compression.GZipStream(File.OpenRead(TestData.Mnist("t10k-images-idx3-ubyte.gz")), System.IO.Compression.CompressionMode.Decompress))
        using (var buffer = new MemoryStream())
        {
            gzip.CopyTo(buffer);
            content = buffer.ToArray();
        }

        var digests = Catalog.Images(DatasetKind.Mnist, DatasetSplit.Test).Digests;
        string recompressed = Path.Combine(folder.Path, "recompressed.gz");
        WriteGzip(recompressed, content, System.IO.Compression.CompressionLevel.Fastest);
        Assert.Null(FileDownloader.Verify(recompressed, digests));

        content[16 + 400] ^= 0x01; // one pixel of image 0
        string changed = Path.Combine(folder.Path, "changed.gz");
        WriteGzip(changed, content, System.IO.Compression.CompressionLevel.Optimal);
        Assert.NotNull(FileDownloader.Verify(changed, digests));
    }

    private static void WriteGzip(string path, byte[] content, System.IO.Compression.CompressionLevel level)
    {
        using var file = File.Create(path);
        using var gzip = new System.IO.Compression.GZipStream(file, level);
        gzip.Write(content);
    }

    [Fact]
    public void The_shared_labels_file_passes_the_catalog_checksums()
    {
        // The labels file is byte-identical to the official one: its md5 alone matches, and so does its content.
        string path = TestData.Mnist("t10k-labels-idx1-ubyte.gz");
        var digests = Catalog.Labels(DatasetKind.Mnist, DatasetSplit.Test).Digests;

        Assert.Null(FileDownloader.Verify(path, digests));
        Assert.Null(FileDownloader.Verify(path, digests.Where(d => !d.OfDecompressed).ToArray()));
        Assert.Null(FileDownloader.Verify(path, digests.Where(d => d.OfDecompressed).ToArray()));
    }

    [Fact]
    public void The_catalog_does_not_accept_the_images_file_as_labels()
    {
        string path = TestData.Mnist("t10k-images-idx3-ubyte.gz");

        Assert.NotNull(FileDownloader.Verify(path, Catalog.Labels(DatasetKind.Mnist, DatasetSplit.Test).Digests));
    }
}
