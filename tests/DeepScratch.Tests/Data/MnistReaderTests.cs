using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>Issue 7, item 14: the streaming reader checks headers first and holds only the caller's batch.</summary>
public sealed class MnistReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (string Images, string Labels) Write(byte[] images, byte[] labels, bool gzip)
    {
        string suffix = gzip ? ".gz" : "";
        return (_temp.Write("images" + suffix, gzip ? IdxFiles.Gzip(images) : images),
                _temp.Write("labels" + suffix, gzip ? IdxFiles.Gzip(labels) : labels));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_the_set_in_batches_as_stored(bool gzip)
    {
        var (images, labels) = Write(IdxFiles.SampleImagesFile(), IdxFiles.SampleLabelsFile(), gzip);
        using var reader = MnistReader.Open(images, labels);
        var pixels = new byte[2 * 8];
        var batchLabels = new byte[2];

        Assert.Equal((3, 2, 4, 8), (reader.Count, reader.Rows, reader.Columns, reader.ImageSize));
        Assert.Equal(2, reader.Read(pixels, batchLabels));
        Assert.Equal(IdxFiles.SamplePixels[..16], pixels);
        Assert.Equal(new byte[] { 7, 0 }, batchLabels);
        Assert.Equal(1, reader.Read(pixels, batchLabels));
        Assert.Equal(IdxFiles.SamplePixels[16..], pixels[..8]);
        Assert.Equal(9, batchLabels[0]);
        Assert.Equal(0, reader.Read(pixels, batchLabels));
    }

    [Fact]
    public void Images_and_labels_that_disagree_in_number_are_refused_from_the_headers()
    {
        var (images, labels) = Write(IdxFiles.SampleImagesFile(), IdxFiles.Labels(2, [7, 0]), gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => MnistReader.Open(images, labels));

        Assert.Equal($"{images} holds 3 images but {labels} holds 2 labels; they must come from the same split.", e.Message);
    }

    [Fact]
    public void A_truncated_raw_file_is_refused_from_its_header_and_size()
    {
        var (images, labels) = Write(IdxFiles.Images(3, 2, 4, IdxFiles.SamplePixels.AsSpan(0, 20)), IdxFiles.SampleLabelsFile(), gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => MnistReader.Open(images, labels));

        Assert.Equal($"{images}: header claims 3 images of 2x4 (24 bytes) but the file is far too small to hold them; it is truncated or corrupt.", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_file_is_reported_when_the_end_comes_early()
    {
        var (images, labels) = Write(IdxFiles.Images(3, 2, 4, IdxFiles.SamplePixels.AsSpan(0, 20)), IdxFiles.SampleLabelsFile(), gzip: true);
        using var reader = MnistReader.Open(images, labels);
        var pixels = new byte[8];
        var one = new byte[1];
        reader.Read(pixels, one);
        reader.Read(pixels, one);

        var e = Assert.Throws<InvalidDataException>(() => reader.Read(pixels, one));

        Assert.Equal($"{images}: truncated: header claims 3 images of 2x4 (24 bytes) but only 20 follow. Delete the file and download it again.", e.Message);
    }

    [Fact]
    public void Bytes_after_the_last_image_are_reported()
    {
        var (images, labels) = Write([.. IdxFiles.SampleImagesFile(), 0], IdxFiles.SampleLabelsFile(), gzip: true);
        using var reader = MnistReader.Open(images, labels);

        var e = Assert.Throws<InvalidDataException>(() => reader.Read(new byte[24], new byte[3]));

        Assert.Contains("more bytes than its header's 3 images of 2x4", e.Message);
    }

    [Fact]
    public void A_label_outside_the_ten_classes_is_named_with_its_index()
    {
        var (images, labels) = Write(IdxFiles.SampleImagesFile(), IdxFiles.Labels(3, [7, 0, 10]), gzip: false);
        using var reader = MnistReader.Open(images, labels);
        var pixels = new byte[16];
        var two = new byte[2];
        reader.Read(pixels, two);

        var e = Assert.Throws<InvalidDataException>(() => reader.Read(pixels, two));

        Assert.Equal($"{labels}: label 10 at index 2 is not a class 0-9.", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadExample_reads_one_image_without_the_ones_before(bool gzip)
    {
        var (images, labels) = Write(IdxFiles.SampleImagesFile(), IdxFiles.SampleLabelsFile(), gzip);
        using var reader = MnistReader.Open(images, labels);

        var (pixels, label) = reader.ReadExample(2);

        Assert.Equal(IdxFiles.SamplePixels[16..], pixels);
        Assert.Equal(9, label);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadExample(3));
    }

    [Fact]
    public void ReadExample_past_the_end_of_a_truncated_file_says_truncated()
    {
        var (images, labels) = Write(
            IdxFiles.Images(5, 2, 4, IdxFiles.SamplePixels), IdxFiles.Labels(5, [7, 0, 9, 1, 2]), gzip: true);
        using var reader = MnistReader.Open(images, labels);

        var e = Assert.Throws<InvalidDataException>(() => reader.ReadExample(4));

        Assert.Contains("truncated: header claims 5 images of 2x4 (40 bytes) but only 24 follow", e.Message);
    }
}
