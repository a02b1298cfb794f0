using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

public sealed class MnistSetTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private MnistSet ReadSample() => Mnist.Read(
        _temp.Write("images.gz", IdxFiles.Gzip(IdxFiles.SampleImagesFile())),
        _temp.Write("labels", IdxFiles.SampleLabelsFile()));

    [Fact]
    public void Read_pairs_the_images_with_their_labels()
    {
        var set = ReadSample();

        Assert.Equal(3, set.Count);
        Assert.Equal(3, set.Images.Count);
        Assert.Equal(IdxFiles.SamplePixels, set.Images.Pixels);
        Assert.Equal(IdxFiles.SampleLabels, set.Labels);
    }

    [Fact]
    public void ImageTensor_normalized_and_flattened_is_N_by_pixels_divided_by_255()
    {
        var x = ReadSample().ImageTensor(normalize: true, flatten: true);

        Assert.Equal(new[] { 3, 8 }, x.Shape.ToArray());
        Assert.Equal(IdxFiles.SamplePixels.Select(p => p / 255f).ToArray(), x.ToArray());
        Assert.Equal(0f, x[0, 0]);
        Assert.Equal(1f / 255f, x[0, 1]);
        Assert.Equal(128f / 255f, x[2, 0]);
        Assert.Equal(1f, x[2, 7]);
    }

    [Fact]
    public void ImageTensor_defaults_to_normalized_and_flattened()
    {
        var set = ReadSample();

        var x = set.ImageTensor();

        Assert.Equal(new[] { 3, 8 }, x.Shape.ToArray());
        Assert.Equal(set.ImageTensor(normalize: true, flatten: true).ToArray(), x.ToArray());
    }

    [Fact]
    public void ImageTensor_without_normalization_keeps_the_raw_0_to_255_values()
    {
        var x = ReadSample().ImageTensor(normalize: false, flatten: true);

        Assert.Equal(new[] { 3, 8 }, x.Shape.ToArray());
        Assert.Equal(IdxFiles.SamplePixels.Select(p => (float)p).ToArray(), x.ToArray());
        Assert.Equal(128f, x[2, 0]);
        Assert.Equal(255f, x[2, 7]);
    }

    [Fact]
    public void ImageTensor_not_flattened_is_N_1_rows_cols_in_row_major_order()
    {
        var x = ReadSample().ImageTensor(normalize: false, flatten: false);

        Assert.Equal(new[] { 3, 1, 2, 4 }, x.Shape.ToArray());
        Assert.Equal(3f, x[0, 0, 0, 3]);
        Assert.Equal(14f, x[1, 0, 1, 0]);
        Assert.Equal(255f, x[2, 0, 1, 3]);
        Assert.Equal(IdxFiles.SamplePixels.Select(p => (float)p).ToArray(), x.ToArray());
    }

    [Fact]
    public void LabelTensor_is_the_class_indices_as_floats()
    {
        var t = ReadSample().LabelTensor();

        Assert.Equal(new[] { 3 }, t.Shape.ToArray());
        Assert.Equal(new[] { 7f, 0f, 9f }, t.ToArray());
    }

    [Fact]
    public void LabelTensor_one_hot_has_a_single_one_per_row_at_the_label()
    {
        var t = ReadSample().LabelTensor(oneHot: true);

        Assert.Equal(new[] { 3, Mnist.Classes }, t.Shape.ToArray());
        byte[] labels = IdxFiles.SampleLabels;
        for (int row = 0; row < labels.Length; row++)
        {
            for (int col = 0; col < Mnist.Classes; col++)
            {
                Assert.Equal(col == labels[row] ? 1f : 0f, t[row, col]);
            }
        }
    }

    [Fact]
    public void Read_rejects_image_and_label_counts_that_disagree_naming_both_files()
    {
        string images = _temp.Write("images", IdxFiles.SampleImagesFile());
        string labels = _temp.Write("labels", IdxFiles.Labels(2, [1, 2]));

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Read(images, labels));

        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void Read_rejects_a_label_outside_0_to_9()
    {
        string images = _temp.Write("images", IdxFiles.SampleImagesFile());
        string labels = _temp.Write("labels", IdxFiles.Labels(3, [1, 10, 2]));

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Read(images, labels));

        Assert.Contains(labels, e.Message);
        Assert.Contains("label 10", e.Message);
        Assert.Contains("index 1", e.Message);
    }

    [Fact]
    public void Read_propagates_a_malformed_file_as_InvalidDataException()
    {
        string images = _temp.Write("images", IdxFiles.SampleLabelsFile());
        string labels = _temp.Write("labels", IdxFiles.SampleLabelsFile());

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Read(images, labels));

        Assert.Contains(images, e.Message);
    }
}
